"""`ImageSet`: every dataset as in-memory tensors, with whatever ground truth it has.

Keeping images as one uint8 tensor lets the training step index a batch and
augment it on the device without any per-image Python work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class ImageSet:
    images: torch.Tensor  # uint8 [N, 3, H, W]
    objects: torch.Tensor  # long [N]: the class a probe predicts
    sessions: torch.Tensor | None = None  # long [N]: background/lighting condition
    poses: torch.Tensor | None = None  # float [N, P]: pose (view) parameters, normalised to about [-1, 1]
    pose_names: list[str] = field(default_factory=list)
    sequences: torch.Tensor | None = None  # long [N]: which sequence a frame belongs to
    frames: torch.Tensor | None = None  # long [N]: position of the frame in its sequence
    is_test: torch.Tensor | None = None  # bool [N]: an official test split, when the data has one
    name: str = "dataset"

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def num_objects(self) -> int:
        return int(self.objects.max()) + 1

    @property
    def num_sessions(self) -> int:
        return 0 if self.sessions is None else int(self.sessions.max()) + 1

    @property
    def has_time(self) -> bool:
        return self.sequences is not None

    def subset(self, index: torch.Tensor) -> "ImageSet":
        def pick(t):
            return None if t is None else t[index]

        return ImageSet(
            self.images[index],
            self.objects[index],
            pick(self.sessions),
            pick(self.poses),
            list(self.pose_names),
            pick(self.sequences),
            pick(self.frames),
            pick(self.is_test),
            self.name,
        )
