"""The names a config chooses from: every list of allowed values, in one light module.

ciper/config.py validates against these, and the registries that build what they
name (augmentation ops in ciper/augment.py, encoders in ciper/encoders.py,
datasets in ciper/datasets.py) refuse to import when a name has no builder or a
builder no name; nothing here imports torch.
"""

# every augmentation op, in the canonical order: parameters are drawn and the prediction
# target's columns laid out in this order, whatever order the ops are applied in
# (each is an op class in ciper/augment.py, registered under this name)
AUGMENTATIONS = ("crop", "flip", "jitter", "grayscale", "blur", "rotation")
# colour jitter's four sub-ops, in the order torchvision lists them (the default order applied)
JITTER_OPS = ("brightness", "contrast", "saturation", "hue")
# every dataset (each a loader in ciper/datasets.py's REGISTRY under this name)
DATASETS = ("world", "flatworld", "cifar10", "core50", "tdw", "folder", "coil100", "turntable", "imagefolder")
BUILT_IN = ("world", "flatworld")  # generated, never read from a folder
TURNTABLES = ("coil100", "turntable")  # objects turned in depth, the azimuth in each file's name (ciper/turntable.py)
NO_SEQUENCES = ("cifar10", "imagefolder")  # still images: no time pairs
# the images as read (rgb), or as luminance in three equal channels (grey), so colour names no object
IMAGE_COLOURS = ("rgb", "grey")
MAX_WORLD_BYTES = 8 * 2**30  # a built-in world's images must fit in 8 GiB
ENCODERS = ("small_cnn", "resnet18")  # each a builder in ciper/encoders.py's BUILDERS under this name
HEAD_MODES = ("both", "contrastive", "predictive")
HEAD_INPUTS = ("diff", "concat")
# what makes the two views of a pair: (partner frame of the same sequence?, synthetic augmentations?)
PAIR_SOURCES = {"synthetic": (False, True), "time": (True, False), "time+synthetic": (True, True)}
# what the prediction head regresses for the partner frame of a time pair: the exact pose change,
# the frame offset (what an observer of a video knows), or nothing (only the synthetic ops' parameters)
TIME_PAIR_TARGETS = ("pose_change", "frame_gap", "none")
# what a trial trains and evaluates: the CIPER objective (any head_mode and alpha), or a reference
# (ciper/reference.py) or a no-learning control (ciper/controls.py) on the same probes
METHODS = ("ciper", "untrained", "object_supervised", "pose_supervised", "pixels", "colour")
OPTIMIZERS = ("adamw", "sgd")
DEVICES = ("auto", "cpu", "cuda")
MEMORY_FORMATS = ("auto", "channels_last", "contiguous")
PRECISIONS = ("auto", "fp32", "bf16")
# how the held-out frames are chosen (ciper/data.py): none shares a sequence, or a time window, with training
SPLITS = ("auto", "sequences", "pose_blocks", "random", "official")
# what each group of fields decides
GROUPS = {
    "data": "which images: the dataset and how it is drawn or read",
    "split": "which frames are held out, and the time window of a pair and of the held-out gap",
    "augment": "the synthetic augmentations and their order",
    # the heads' sizes are here: a reference draws its heads too, so they decide its initialisation
    "model": "the encoder (what the representation h is) and the sizes of its heads",
    "objective": "what CIPER trains the encoder with: method, head mode, loss and pairs (a reference ignores them)",
    "training": "the optimiser, its budget and the seed",
    "evaluation": "how many held-out images the probes read, and their k",
    "precision": "the number format a run computes in",
    # results move by float reassociation alone (a reference reuses its cache across them)
    "execution": "where and how a run executes, not what it trains: device, threads, layout, compilation",
}
