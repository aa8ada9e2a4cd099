"""Backups of the whole portal: the PostgreSQL database as one `pg_dump --format=custom` file,
and every private file (proof, appeal documents) copied out of the configured private storage,
a local folder or a bucket of object storage, alike. A manifest lists each file's key, size and
SHA-256 and the dump's; a restore checks the whole backup against it before it changes
anything, and checks every file it puts back by reading it again from the storage.

A backup folder holds `database.dump`, `files/<key>` and `manifest.json`; the manifest is
written last, so a folder without one is an unfinished backup and is never restored."""

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage

from common.jobs import job_lock
from yearend.retention import PURGE_LOCK

DUMP = "database.dump"
FILES = "files"
MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Summary:
    files: int
    bytes: int
    dump_bytes: int


# --- PostgreSQL -----------------------------------------------------------------------------

def require_postgresql(database: dict[str, Any]) -> None:
    """Anything but PostgreSQL is refused."""
    if not database.get("ENGINE", "").endswith("postgresql"):
        raise BackupError(
            f"Backups need PostgreSQL; the database is {database.get('ENGINE', 'not set')}. "
            "Set DATABASE_URL to the PostgreSQL database (SQLite is for `make run` only).")


def _postgres_environment(database: dict[str, Any]) -> dict[str, str]:
    """The libpq environment for Django's database settings: the password never appears in a
    command line."""
    require_postgresql(database)
    variables = {"PGDATABASE": database.get("NAME"), "PGHOST": database.get("HOST"),
                 "PGPORT": database.get("PORT"), "PGUSER": database.get("USER"),
                 "PGPASSWORD": database.get("PASSWORD"),
                 "PGSSLMODE": database.get("OPTIONS", {}).get("sslmode")}
    return {**os.environ, **{name: str(value) for name, value in variables.items() if value}}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client programs "
                          "(Debian: postgresql-client), the version of the server or newer.")
    return path


def _run(command: list[str], environment: dict[str, str]) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True,  # noqa: S603
                          check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {done.returncode}): "
                          f"{done.stderr.strip()[-2000:]}")


def database_tables(cursor: Any) -> int:
    """How many tables, views and sequences the database holds outside PostgreSQL's own
    schemas: 0 for a database that was just created."""
    cursor.execute("""
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%'""")
    return cursor.fetchone()[0]


# --- Files ----------------------------------------------------------------------------------

def _sha256_of(chunks: Iterator[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def _stored_chunks(storage: Storage, key: str) -> Iterator[bytes]:
    with storage.open(key, "rb") as source:
        yield from source.chunks(CHUNK)


def storage_keys(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file's name in the storage, depth first, sorted: the same walk for a folder and
    for a bucket (under its prefix)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a storage folder nothing was ever stored in
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from storage_keys(storage, f"{folder}/{name}" if folder else name)


def _local_path(root: Path, key: str) -> Path:
    """Where a key's copy lives in the backup; a key that would leave the folder is refused."""
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise BackupError(f"Refusing the file key {key!r}: not a plain relative name.")
    return root.joinpath(*parts)


# --- Backup ---------------------------------------------------------------------------------

def back_up(folder: Path, *, database: dict[str, Any], storage: Storage, now: datetime,
            say: Say) -> Summary:
    """Dump the database into `folder`, copy every private file into `folder/files/`, then
    write the manifest. The database is dumped first: a file stored meanwhile is at worst an
    unreferenced extra copy. The only job that deletes stored files, the purge of expired
    proof, waits until both are done (its advisory lock is held throughout): every file the
    dump names is in the backup."""
    environment = _postgres_environment(database)
    pg_dump = _tool("pg_dump")
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder, so that no "
                          "backup is overwritten or mixed with another.")

    with job_lock(PURGE_LOCK):
        say("Holding the proof purge's lock: no stored file is deleted until the files are "
            "copied.")
        dump_sha256, dump_bytes = _dump(folder, pg_dump=pg_dump, environment=environment)
        say(f"Dumped database {database['NAME']} to {folder / DUMP} "
            f"({dump_bytes} bytes, sha256 {dump_sha256}).")
        files = _copy_files(storage, folder / FILES)
    total = sum(item["size"] for item in files)
    say(f"Copied {len(files)} private files ({total} bytes) to {folder / FILES}.")

    manifest = {"format": FORMAT, "created_at": now.isoformat(),
                "database": {"file": DUMP, "size": dump_bytes, "sha256": dump_sha256},
                "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    say(f"Wrote {folder / MANIFEST}: the backup is complete.")
    return Summary(files=len(files), bytes=total, dump_bytes=dump_bytes)


def _dump(folder: Path, *, pg_dump: str, environment: dict[str, str]) -> tuple[str, int]:
    partial = folder / f"{DUMP}.partial"
    _run([pg_dump, "--format=custom", "--no-password", f"--file={partial}"], environment)
    partial.rename(folder / DUMP)
    return _sha256_of(_file_chunks(folder / DUMP))


def _copy_files(storage: Storage, root: Path) -> list[dict[str, Any]]:
    files = []
    for key in storage_keys(storage):
        target = _local_path(root, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with target.open("wb") as copy:
            for chunk in _stored_chunks(storage, key):
                digest.update(chunk)
                copy.write(chunk)
                size += len(chunk)
        files.append({"key": key, "size": size, "sha256": digest.hexdigest()})
    return files


# --- Restore --------------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: {folder} is not a finished backup.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = [(str(item["key"]), int(item["size"]), str(item["sha256"]))
                   for item in manifest["files"]]
        dump = manifest["database"]
        manifest["database"] = {"file": DUMP, "size": int(dump["size"]),
                                "sha256": str(dump["sha256"])}
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{path} is not a backup manifest ({error}).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads "
                          f"format {FORMAT}.")
    manifest["files"] = [{"key": key, "size": size, "sha256": sha256}
                         for key, size, sha256 in entries]
    return manifest


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every byte of the backup as the manifest says, before anything is restored."""
    expected = manifest["database"]
    if not (folder / DUMP).is_file():
        raise BackupError(f"{folder / DUMP} is missing.")
    if _sha256_of(_file_chunks(folder / DUMP)) != (expected["sha256"], expected["size"]):
        raise BackupError(f"{folder / DUMP} does not match the manifest's sha256 and size: "
                          "the backup is damaged.")
    for item in manifest["files"]:
        path = _local_path(folder / FILES, item["key"])
        if not path.is_file():
            raise BackupError(f"The backup lacks the file {item['key']}.")
        if _sha256_of(_file_chunks(path)) != (item["sha256"], item["size"]):
            raise BackupError(f"The backup's copy of {item['key']} does not match the "
                              "manifest's sha256 and size: the backup is damaged.")


def restore_database(folder: Path, *, database: dict[str, Any], tables: int, force: bool,
                     say: Say) -> None:
    """pg_restore into the configured database, in one transaction that stops at the first
    error. A database that holds tables is refused unless `force`, which drops and replaces
    the objects the dump holds."""
    environment = _postgres_environment(database)
    pg_restore = _tool("pg_restore")
    if tables and not force:
        raise BackupError(
            f"The database {database['NAME']} is not empty ({tables} tables, views or "
            "sequences). Restore into a new, empty database, or pass --force to replace the "
            "objects the backup holds.")
    command = [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
               "--no-password", f"--dbname={database['NAME']}"]
    if tables:
        command += ["--clean", "--if-exists"]
    _run([*command, str(folder / DUMP)], environment)
    say(f"Restored {folder / DUMP} into database {database['NAME']}"
        f"{' (replacing what was there)' if tables else ''}.")


def restore_files(folder: Path, manifest: dict[str, Any], *, storage: Storage,
                  say: Say) -> Summary:
    """Put every file of the backup into the private storage under its own key, and read each
    back to check its sha256. A file already there with the same bytes is left alone; one with
    other bytes is an error (stored files are never overwritten)."""
    put = kept = total = 0
    for item in manifest["files"]:
        key, expected = item["key"], (item["sha256"], item["size"])
        if storage.exists(key):
            if _sha256_of(_stored_chunks(storage, key)) != expected:
                raise BackupError(f"{key} is in the private storage already, with other "
                                  "bytes than the backup's: restore into an empty bucket or "
                                  "folder.")
            kept += 1
            continue
        with _local_path(folder / FILES, key).open("rb") as source:
            saved = storage.save(key, File(source, name=key))
        if saved != key:
            storage.delete(saved)
            raise BackupError(f"The private storage stored {key} as {saved}.")
        if _sha256_of(_stored_chunks(storage, key)) != expected:
            raise BackupError(f"{key} reads back from the private storage with another "
                              "sha256 than the manifest's.")
        put += 1
        total += item["size"]
    say(f"Put {put} private files ({total} bytes) into the private storage, each read back "
        f"and checked against its sha256; {kept} were there already with the same bytes.")
    return Summary(files=put, bytes=total, dump_bytes=manifest["database"]["size"])
