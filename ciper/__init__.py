"""CIPER: contrastive (invariant) + predictive (equivariant) representation learning.

Data flows one way: config -> data -> augment -> model -> losses -> train -> probes.
"""

from ciper.config import Config, ConfigError, preset

__all__ = ["Config", "ConfigError", "preset"]
__version__ = "0.1.0"
