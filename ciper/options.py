"""The --preset and --set options that every command builds its config from."""

from __future__ import annotations

import argparse

from ciper.config import PRESETS, Config, choices_help, parse_overrides, preset


def add_config_options(ap: argparse.ArgumentParser, set_help: str = "override config fields") -> None:
    ap.add_argument("--preset", default="cpu", help=f"{' | '.join(PRESETS)} (default: cpu, the built-in world)")
    ap.add_argument(
        "--set",
        nargs="*",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help=f"{set_help} (may be given several times; they add up); {choices_help()}",
    )


def config_of(args: argparse.Namespace, fixed: dict | None = None) -> Config:
    """The preset, then `fixed`, then --set; ConfigError on an unknown preset, key or value."""
    return preset(args.preset, **{**(fixed or {}), **parse_overrides(args.set)})
