"""The study's storage folder as Ray Tune sees it: every file Ray writes there appears whole or not at all.

Ray copies its own files into storage with plain writes: the tuner (`tuner.pkl`),
the experiment snapshot it rewrites every second, each trial's records and the
checkpoints its workers upload. A process killed in the middle of such a copy
leaves a file cut short, and Ray cannot restore from a cut-off tuner or
snapshot. On a local (or network-mounted) folder the study hands Ray this
filesystem instead: each file goes to a temporary name beside its target and is
renamed into place when Ray closes it, as ciper's own results are
(ciper.records.atomic_write_bytes). A killed process leaves at most a hidden
`.<name>.*.tmp` file and the previous version of the target. Cloud URIs need
none of this: an object store publishes an upload whole.
"""

from __future__ import annotations

import os
import tempfile

import pyarrow
import pyarrow.fs


class _ReplaceOnClose:
    """A writable file object that writes to a temporary file and renames it over `path` on close."""

    def __init__(self, path: str):
        self.path = path
        folder, name = os.path.split(path)
        fd, self.tmp = tempfile.mkstemp(dir=folder or ".", prefix=f".{name}.", suffix=".tmp")
        self._file = os.fdopen(fd, "wb")
        self.closed = False

    def write(self, data) -> int:
        return self._file.write(data)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._file.close()
        os.replace(self.tmp, self.path)


class AtomicLocalHandler(pyarrow.fs.FileSystemHandler):
    """pyarrow's LocalFileSystem, except that an output stream replaces its file only when closed."""

    def __init__(self):
        self._fs = pyarrow.fs.LocalFileSystem()

    def __eq__(self, other):
        return isinstance(other, AtomicLocalHandler)

    def __ne__(self, other):
        return not self == other

    def __reduce__(self):  # Ray ships the filesystem to its workers
        return AtomicLocalHandler, ()

    def get_type_name(self) -> str:
        return "local+atomic"

    def normalize_path(self, path):
        return self._fs.normalize_path(path)

    def get_file_info(self, paths):
        return self._fs.get_file_info(paths)

    def get_file_info_selector(self, selector):
        return self._fs.get_file_info(selector)

    def create_dir(self, path, recursive):
        self._fs.create_dir(path, recursive=recursive)

    def delete_dir(self, path):
        self._fs.delete_dir(path)

    def delete_dir_contents(self, path, missing_dir_ok=False):
        self._fs.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self):
        raise OSError("refusing to delete the contents of the root folder")

    def delete_file(self, path):
        self._fs.delete_file(path)

    def move(self, src, dest):
        self._fs.move(src, dest)

    def copy_file(self, src, dest):
        with self._fs.open_input_stream(src) as source, self.open_output_stream(dest, None) as target:
            while chunk := source.read(16 << 20):
                target.write(chunk)

    def open_input_stream(self, path):
        return self._fs.open_input_stream(path)

    def open_input_file(self, path):
        return self._fs.open_input_file(path)

    def open_output_stream(self, path, metadata):
        return pyarrow.PythonFile(_ReplaceOnClose(path), mode="w")

    def open_append_stream(self, path, metadata):
        return self._fs.open_append_stream(path, metadata=metadata)


def storage_filesystem(storage: str) -> pyarrow.fs.FileSystem | None:
    """The filesystem a study hands Ray for `storage`: atomic writes on a local path, Ray's own for a URI."""
    if "://" in storage:
        return None
    return pyarrow.fs.PyFileSystem(AtomicLocalHandler())
