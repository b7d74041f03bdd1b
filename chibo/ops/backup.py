"""Backup and restore of all data and files, verified.

A backup is one .tar.gz:
  manifest.json  format, date, database vendor, rows per model, sha256 of data.jsonl and of every
                 file, a fingerprint of the field-encryption key (CCCD values need the same key)
  data.jsonl     every row of every model (dumpdata, natural keys for content types)
  files/…        every file of the default storage (local disk or S3), same names

`restore` refuses an archive whose checksums do not match, a database that already holds chibo
data, and a field key that differs; it then empties the database, loads the rows (sequences are
reset by loaddata), writes the files, and checks the row counts against the manifest.
`export_digest()` is what "round-trip exactly" is checked with: a digest of every row (as
dumpdata writes it) and every file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction

FORMAT = 1
# Not data: derived renderings (meetings.RecordRender, made again from the record on its next read).
EXCLUDE = ["contenttypes", "auth.permission", "meetings.recordrender"]


class BackupError(Exception):
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def storage_files(storage: Any = None, prefix: str = "") -> Iterator[str]:
    """Every file name in the storage, recursively, in a stable order."""
    storage = storage or default_storage
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{prefix}/{name}" if prefix else name
    for d in sorted(dirs):
        yield from storage_files(storage, f"{prefix}/{d}" if prefix else d)


def key_fingerprint() -> str:
    return hashlib.sha256(f"chibo-field-key:{settings.FIELD_ENCRYPTION_KEY}".encode()).hexdigest()[:16]


def row_counts() -> dict[str, int]:
    excluded = {"contenttypes.contenttype", "auth.permission", "meetings.recordrender"}
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in excluded or model._meta.proxy or not model._meta.managed:
            continue
        out[label] = model._base_manager.count()
    return out


def dump(path: Path) -> None:
    call_command("dumpdata", *[f"--exclude={e}" for e in EXCLUDE], natural_foreign=True, format="exact_jsonl",
                 output=str(path), verbosity=0)


def export_digest() -> dict[str, Any]:
    """Digest of all rows and all files, to compare a database before and after a round trip."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        dump(data)
        lines = sorted(data.read_text(encoding="utf-8").splitlines())
    files = {}
    for name in storage_files():
        with default_storage.open(name, "rb") as fh:
            files[name] = hashlib.sha256(fh.read()).hexdigest()
    return {"rows": len(lines), "data": hashlib.sha256("\n".join(lines).encode()).hexdigest(), "files": files}


def backup(target: Path) -> dict[str, Any]:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        dump(data)
        files = {}
        with tarfile.open(target, "w:gz") as tar:
            tar.add(data, arcname="data.jsonl")
            for name in storage_files():
                with default_storage.open(name, "rb") as fh:
                    body = fh.read()
                files[name] = hashlib.sha256(body).hexdigest()
                info = tarfile.TarInfo(f"files/{name}")
                info.size = len(body)
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(body))
            manifest = {
                "format": FORMAT,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "vendor": connection.vendor,
                "rows": row_counts(),
                "data_sha256": sha256_file(data),
                "files": files,
                "field_key": key_fingerprint(),
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(body))
    target.chmod(0o600)
    return manifest


def _has_data() -> bool:
    from chibo.accounts.models import User
    from chibo.members.models import Member
    from chibo.organisations.models import Organisation

    return User.objects.exists() or Organisation.objects.exists() or Member.objects.exists()


def restore(source: Path, *, ignore_key: bool = False) -> dict[str, Any]:
    try:
        tar = tarfile.open(source, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"Không đọc được tệp sao lưu {source}: {exc}") from exc
    with tar, tempfile.TemporaryDirectory() as tmp:
        names = set(tar.getnames())
        if "manifest.json" not in names or "data.jsonl" not in names:
            raise BackupError("Tệp sao lưu thiếu manifest.json hoặc data.jsonl.")
        for member in tar.getmembers():
            if member.name.startswith("/") or ".." in Path(member.name).parts or not (member.isfile() or member.isdir()):
                raise BackupError(f"Tệp sao lưu có đường dẫn không an toàn: {member.name!r}.")
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Định dạng sao lưu {manifest.get('format')!r} không được hỗ trợ.")
        if manifest["field_key"] != key_fingerprint() and not ignore_key:
            raise BackupError(
                "Khóa mã hóa trường (CHIBO_FIELD_KEY) khác với khóa lúc sao lưu: số CCCD sẽ không đọc được. "
                "Đặt đúng khóa rồi khôi phục lại."
            )
        data = Path(tmp) / "data.jsonl"
        tar.extract("data.jsonl", tmp, filter="data")
        if sha256_file(data) != manifest["data_sha256"]:
            raise BackupError("data.jsonl không khớp mã kiểm tra: tệp sao lưu bị hỏng.")
        bodies = {}
        for name, digest in manifest["files"].items():
            fh = tar.extractfile(f"files/{name}")
            body = fh.read() if fh else b""
            if hashlib.sha256(body).hexdigest() != digest:
                raise BackupError(f"Tệp {name} không khớp mã kiểm tra: tệp sao lưu bị hỏng.")
            bodies[name] = body
        if _has_data():
            raise BackupError(
                "Cơ sở dữ liệu đích đã có dữ liệu chibo. Chỉ khôi phục vào cơ sở dữ liệu mới (đã chạy migrate)."
            )
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(data), verbosity=0)
        for name, body in bodies.items():
            if default_storage.exists(name):
                default_storage.delete(name)
            saved = default_storage.save(name, ContentFile(body))
            if saved != name:
                raise BackupError(f"Không ghi được tệp {name} đúng tên (bộ lưu trữ đặt {saved}).")
        counts = row_counts()
        wrong = {k: (v, counts.get(k)) for k, v in manifest["rows"].items() if counts.get(k) != v}
        if wrong:
            raise BackupError(f"Số dòng sau khi khôi phục không khớp: {wrong}")
    # What the shared cache keeps is keyed by row versions and revisions (record_cache, live_parts,
    # panel_cache, judge_cache) that the restored rows may hold again with other contents.
    cache.clear()
    return manifest
