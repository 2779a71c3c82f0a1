"""`ImageSet`: every dataset as in-memory tensors, with whatever ground truth it has.

Keeping images as one uint8 tensor lets the training step index a batch and
augment it on the device without any per-image Python work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import torch

from ciper import rotations

AZIMUTH = ("azimuth_sin", "azimuth_cos")  # a turntable's pose columns (ciper/turntable.py)


@dataclass
class ImageSet:
    images: torch.Tensor  # uint8 [N, 3, H, W]
    objects: torch.Tensor  # long [N]: the class a probe predicts
    sessions: torch.Tensor | None = None  # long [N]: background/lighting condition
    poses: torch.Tensor | None = None  # float [N, P]: pose parameters, normalised to about [-1, 1]
    pose_names: list[str] = field(default_factory=list)
    sequences: torch.Tensor | None = None  # long [N]: which sequence a frame belongs to
    frame_index: torch.Tensor | None = None  # long [N]: position of the frame in its sequence
    is_test: torch.Tensor | None = None  # bool [N]: an official test split, when the data has one
    name: str = "dataset"
    rotations: torch.Tensor | None = None  # float [N, 4]: 3D pose as a unit quaternion (w >= 0), if any
    cyclic: bool = False  # a sequence's last frame neighbours its first (a turntable)
    period: int = 0  # cyclic data: frames in one full turn (0: the largest frame index + 1)

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

    @property
    def turns(self) -> bool:
        """A turntable: cyclic sequences whose pose is an azimuth (as sin and cos)."""
        return self.cyclic and all(n in self.pose_names for n in AZIMUTH)

    def azimuth(self) -> torch.Tensor:
        """float64 [N] a turntable's azimuth in radians, from its sin and cos columns."""
        s, c = (self.poses[:, self.pose_names.index(n)].double() for n in AZIMUTH)
        return torch.atan2(s, c)

    @property
    def pose_change_names(self) -> list[str]:
        """Columns of pose_change: the relative rotation or azimuth (if any), then the other pose columns."""
        if self.rotations is not None:
            return ["drot_x", "drot_y", "drot_z", *(n for n in self.pose_names if not n.startswith("rot_"))]
        if self.turns:
            return ["dazimuth", *(n for n in self.pose_names if n not in AZIMUTH)]
        return list(self.pose_names)

    def pose_change(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """How the pose changes from frame `first` to frame `second` [B, len(pose_change_names)]:
        the difference of pose columns; with 3D rotations, their rotation part is the relative
        rotation R2 R1^T as axis * angle (radians) instead, and on a turntable the azimuth part is
        the turn a2 - a1 (radians, in [-pi, pi): 355 to 0 degrees is +5), which means the same for
        every object whatever its zero pose. Without pose labels: no column."""
        if self.poses is None:
            return torch.zeros(len(first), 0)
        diff = self.poses[second] - self.poses[first]
        if self.rotations is not None:
            keep = [i for i, n in enumerate(self.pose_names) if not n.startswith("rot_")]
            return torch.cat([rotations.relative(self.rotations[first], self.rotations[second]), diff[:, keep]], 1)
        if self.turns:
            azimuth = self.azimuth()
            turn = torch.remainder(azimuth[second] - azimuth[first] + math.pi, 2 * math.pi) - math.pi
            keep = [i for i, n in enumerate(self.pose_names) if n not in AZIMUTH]
            return torch.cat([turn[:, None].float(), diff[:, keep]], 1)
        return diff

    def frame_gap(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """[B, 1] how many frames `second` lies after `first` in their sequence (on a cyclic
        sequence the shorter way round, signed, over `period` frames a turn where it is set:
        the frames present may not reach the end of the turn)."""
        gap = (self.frame_index[second] - self.frame_index[first]).float()
        if self.cyclic and self.period:
            gap = torch.remainder(gap + self.period / 2, self.period) - self.period / 2
        elif self.cyclic:
            length = torch.zeros(int(self.sequences.max()) + 1).scatter_reduce_(
                0, self.sequences, self.frame_index.float() + 1, reduce="amax"
            )[self.sequences[first]]
            gap = torch.remainder(gap + length / 2, length) - length / 2
        return gap[:, None]

    def in_grey(self) -> "ImageSet":
        """The same frames as luminance (torchvision's weights) in three equal channels: what is
        left to recognise an object by when colour is taken away."""
        from torchvision.transforms.v2.functional import rgb_to_grayscale

        return ImageSet(
            **{**{f.name: getattr(self, f.name) for f in fields(self)}, "images": rgb_to_grayscale(self.images, 3)}
        )

    def subset(self, index: torch.Tensor) -> "ImageSet":
        """The frames at `index`, with every per-frame field picked alike."""
        picked = {f.name: getattr(self, f.name) for f in fields(self)}
        picked = {k: v[index] if torch.is_tensor(v) else v for k, v in picked.items()}
        return ImageSet(**{**picked, "pose_names": list(self.pose_names)})
