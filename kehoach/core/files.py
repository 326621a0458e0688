"""Safe file reads and writes shared by the store, the reports and the outbox.

* :func:`atomic_write` replaces a file through a temporary file and a rename.
* :func:`exclusive_lock` holds an OS-level lock (``filelock``, ``flock`` on POSIX): the
  kernel releases it when the holder dies, so a killed process never leaves a stale lock.
* :func:`remove_leftovers` deletes the temporary files a killed writer left behind; call it
  while holding the lock that every writer of the folder takes.
* :func:`read_text` reads a configuration or plan file saved as UTF-8 (with or without BOM)
  or UTF-16 (with BOM), and names the file when it is neither.
* :func:`load_yaml` reads YAML a user wrote (plans, parameters, the province's list): safe types
  only, bounded in size, and without aliases (``&a``/``*a``), so that a few kilobytes cannot
  expand to gigabytes ("billion laughs").
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import filelock
import yaml

from kehoach.core.errors import KehoachError
from kehoach.core.formatting import fmt_number

log = logging.getLogger(__name__)

#: Temporary files made by :func:`atomic_write` are named ``.<name>.<random>.tmp``.
TMP_SUFFIX = ".tmp"
_NAME_ROOM = 100  # characters of the target name kept in a temporary name (file names are limited to 255 bytes)


def atomic_write(path: Path, data: bytes | str, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    A crash, Ctrl-C or SIGTERM leaves either the old file or the new one, never half of one;
    a SIGKILL may leave the temporary file, which :func:`remove_leftovers` deletes later.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:_NAME_ROOM]}.", suffix=TMP_SUFFIX)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def exclusive_lock(path: Path, busy: KehoachError) -> Iterator[None]:
    """Hold ``path`` as an OS lock for the block; raise ``busy`` at once if a live process holds it.

    The lock is taken with ``flock``: it dies with its holder, so a lock file left by a killed
    process is simply taken over by the next command.
    """
    lock = filelock.FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise busy from None
    try:
        yield
    finally:
        lock.release()


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete temporary files of :func:`atomic_write` in ``folder`` (not below it). Returns what was removed.

    Only safe while holding the lock every writer of ``folder`` takes: then no temporary file
    there can belong to a live writer.
    """
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(f".*{TMP_SUFFIX}"):
        try:
            path.unlink()
        except OSError as exc:  # pragma: no cover - e.g. a read-only folder; reported by the next write
            log.warning("cannot remove leftover %s: %s", path, exc)
            continue
        removed.append(path)
        log.info("removed leftover %s", path)
    return removed


def check_output(path: Path, force: bool, protected: Path, what: str = "tệp") -> Path:
    """Refuse an output path that would destroy something: inside ``protected`` (the store), not a regular file, or existing.

    The first two are refused even with ``force``; an existing regular file only without it.
    """
    from kehoach.core.errors import UsageError

    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(protected.resolve()):
        raise UsageError(f"{path} nằm trong kho số liệu {protected}; không ghi {what} vào đó (kể cả với --force). "
                         "Chọn -o ở thư mục khác.")
    if resolved.exists() and not resolved.is_file():
        raise UsageError(f"{path} không phải tệp thường (thư mục, thiết bị như /dev/full, ống dẫn...); không ghi {what} vào đó "
                         "(kể cả với --force). Chọn -o là một tệp thường.")
    if resolved.exists() and not force:
        raise UsageError(f"{path} đã có; không ghi đè (có thể là biểu mẫu một đơn vị đã gửi lại). Chọn tên khác bằng -o, "
                         "hoặc thêm --force để ghi đè.")
    return path


_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


def read_text(path: Path, what: str = "tệp", max_bytes: int | None = None) -> str:
    """The text of ``path``, saved as UTF-8 (BOM or not) or UTF-16 with a BOM (Notepad's "Unicode").

    Raises :class:`KehoachError` naming the file if it cannot be read, is in another encoding or
    is larger than ``max_bytes`` (checked before reading).
    """
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise KehoachError(f"{path}: {what} nặng {fmt_number(path.stat().st_size)} byte, quá giới hạn {fmt_number(max_bytes)} "
                               f"byte; đây không phải {what} bình thường. Kiểm tra lại tệp.")
        data = path.read_bytes()
    except OSError as exc:
        raise KehoachError(f"{path}: không đọc được {what} ({exc.strerror}). Kiểm tra đường dẫn và quyền đọc tệp.") from None
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is None and b"\x00" in data[:4096]:
        raise KehoachError(f"{path}: {what} có vẻ mã hóa UTF-16 nhưng không có BOM. Mở tệp và lưu lại với mã hóa UTF-8.")
    encoding = encoding or "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise KehoachError(f"{path}: {what} không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start}). "
                           "Mở tệp và lưu lại với mã hóa UTF-8.") from None
    if "\x00" in text:
        raise KehoachError(f"{path}: {what} chứa ký tự NUL, không phải văn bản UTF-8 hay UTF-16 có BOM. "
                           "Mở tệp và lưu lại với mã hóa UTF-8.")
    return text


#: Legacy encodings converted when detected: Windows-1258 (Windows' Vietnamese code page).
CONVERTED_ENCODINGS = ("cp1258",)


def decode_legacy(data: bytes) -> tuple[str, str]:
    """Text of ``data`` and its encoding: UTF-8 (BOM or not), UTF-16 with BOM, or a legacy Vietnamese code page.

    A file that is none of these is refused with the encoding charset-normalizer takes it for.
    Raises :class:`KehoachError` (the caller adds the file name).
    """
    import charset_normalizer

    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    candidates = [m.encoding for m in charset_normalizer.from_bytes(data)]
    legacy = next((enc for enc in candidates if enc in CONVERTED_ENCODINGS), None)
    if legacy:
        return data.decode(legacy), legacy
    guess = f"có vẻ là {candidates[0]}" if candidates else "không nhận ra được"
    raise KehoachError(f"tệp không phải UTF-8 (mã hóa {guess}); mở tệp và lưu lại với mã hóa UTF-8 "
                       "(Excel: Lưu thành → CSV UTF-8)")


#: PyYAML's problems (English) in Vietnamese, by how they begin.
_YAML_PROBLEMS = [
    ("could not determine a constructor for the tag", "thẻ YAML “{tag}” không được phép; xóa thẻ (phần bắt đầu bằng !)"),
    ("mapping values are not allowed", "dấu “:” không đúng chỗ (giá trị có dấu hai chấm cần đặt trong dấu nháy)"),
    ("found character", "có ký tự không được phép ở đây (thụt lề bằng dấu tab? dùng dấu cách)"),
    ("could not find expected ':'", "thiếu dấu “:” sau tên trường"),
    ("expected <block end>", "thụt lề không đều"),
    ("did not find expected ',' or ']'", "thiếu dấu “]” đóng danh sách"),
    ("did not find expected ',' or '}'", "thiếu dấu “}” đóng bảng"),
    ("expected ',' or ']'", "thiếu dấu “]” đóng danh sách"),
    ("expected ',' or '}'", "thiếu dấu “}” đóng bảng"),
    ("did not find expected '-' indicator", "thụt lề không đều (danh sách và bảng lẫn nhau)"),
    ("did not find expected key", "thụt lề không đều"),
    ("found unexpected end of stream", "tệp kết thúc giữa chừng (thiếu dấu nháy đóng?)"),
    ("while scanning a quoted scalar", "thiếu dấu nháy đóng"),
    ("found duplicate anchor", "bí danh (&) bị đặt hai lần"),
    ("found undefined alias", "dùng bí danh (*) chưa được đặt"),
    ("exceeded maximum nesting depth", "lồng nhau quá sâu"),
    ("control characters are not allowed", "có ký tự điều khiển"),
]


def yaml_problem(exc: Exception) -> str:
    """A YAML error in Vietnamese, with its line and column (PyYAML's own messages are English)."""
    mark = getattr(exc, "problem_mark", None)
    at = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
    problem = str(getattr(exc, "problem", None) or "")
    tag = problem.rsplit("tag ", 1)[-1].strip().strip("'")
    what = next((text for start, text in _YAML_PROBLEMS if problem.startswith(start)), None)
    if what is None and isinstance(exc, yaml.constructor.ConstructorError):
        what = "giá trị không đọc được"
    return f"YAML sai{at}: {(what or 'sai cú pháp').format(tag=tag)}"


#: The largest YAML text read from a user (a plan is about 20 KB).
MAX_YAML_BYTES = 2 * 1024 * 1024
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it


def check_yaml(text: str, name: str, error: type[KehoachError] = KehoachError) -> None:
    """Refuse YAML ``text`` (of the file ``name``) that is too large or uses aliases, before anything is built from it.

    Aliases are found in the parser's events, before any node is composed: nothing is expanded.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise error(f"tệp {name}: nội dung YAML dài {fmt_number(size)} byte, quá giới hạn {fmt_number(MAX_YAML_BYTES)} byte; "
                    "kiểm tra lại tệp.")
    try:
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise error(f"tệp {name} dòng {event.start_mark.line + 1}: YAML dùng bí danh (&/*), không được phép; "
                            "viết đầy đủ giá trị rồi chạy lại.")
    except yaml.YAMLError as exc:
        raise error(f"{name}: {yaml_problem(exc)}. Sửa cú pháp rồi chạy lại.") from None
    except RecursionError:
        raise error(f"{name}: YAML lồng nhau quá sâu; sửa tệp rồi chạy lại.") from None


def load_yaml(text: str, name: str, error: type[KehoachError] = KehoachError) -> object:
    """The data of YAML ``text`` written by a user (safe types only); see :func:`check_yaml`.

    Raises ``error`` naming the file ``name`` and the line.
    """
    check_yaml(text, name, error)
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise error(f"{name}: {yaml_problem(exc)}. Sửa tệp rồi chạy lại.") from None
    except RecursionError:
        raise error(f"{name}: YAML lồng nhau quá sâu; sửa tệp rồi chạy lại.") from None


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of YAML ``text`` already passed by :func:`check_yaml` (for line numbers)."""
    return yaml.compose(text, Loader=_YAML_LOADER)
