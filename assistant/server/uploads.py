"""Articles uploaded from the browser: checked, unpacked and laid out for the same incremental ingest as the CLI.

Files land in `<data_dir>/uploads/<source>/`, so `ingest` names their source after the folder, as it does for a
folder given on the command line. Zips are unpacked member by member with every path checked: no absolute
paths, no `..`, no links, bounded sizes (a zip bomb stops at the limit, not at the disk's end).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from assistant.ingest.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # all files of one upload, unpacked
MAX_ZIP_MEMBERS = 5000
_SOURCE = re.compile(r"[^\w .-]+", re.UNICODE)


@dataclass
class UploadPlan:
    """Where an upload's files went, and what was refused (file name -> reason)."""

    folder: Path
    saved: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def source_folder(uploads_dir: Path, source: str) -> Path:
    """The folder for a source name as the user typed it (letters, digits, spaces, "." and "-" kept: the
    Source filter shows the folder name; "Le Monde/économie" -> uploads/Le Monde-économie)."""
    name = " ".join(_SOURCE.sub("-", source).split()).strip(".- ")[:60] or "uploads"
    return uploads_dir / name


def _safe_member(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or any(p.startswith(".") for p in path.parts):
        return None
    return path


def save_upload(files: list[Path], uploads_dir: Path, source: str) -> UploadPlan:
    """Copy uploaded files (and the supported members of uploaded zips) under the source's folder."""
    plan = UploadPlan(source_folder(uploads_dir, source))
    plan.folder.mkdir(parents=True, exist_ok=True)
    budget = MAX_UPLOAD_BYTES
    for file in files:
        name = Path(file).name
        if name.lower().endswith(".zip"):
            budget = _unzip(Path(file), plan, budget)
            continue
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            plan.refused[name] = "not a supported type (.txt .md .html .json .jsonl or a .zip of them)"
            continue
        size = Path(file).stat().st_size
        if size > MAX_FILE_BYTES or size > budget:
            plan.refused[name] = f"too large ({size:,} bytes; the limit is {min(MAX_FILE_BYTES, budget):,})"
            continue
        budget -= size
        shutil.copyfile(file, plan.folder / name)
        plan.saved.append(name)
    return plan


def _unzip(archive: Path, plan: UploadPlan, budget: int) -> int:
    label = archive.name
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                plan.refused[label] = f"holds {len(members):,} files; the limit is {MAX_ZIP_MEMBERS:,}"
                return budget
            for member in members:
                shown = f"{label}:{member.filename}"
                path = _safe_member(member.filename)
                if path is None:
                    plan.refused[shown] = "unsafe path inside the zip (absolute, '..' or hidden)"
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    plan.refused[shown] = "not a supported type"
                    continue
                if member.file_size > MAX_FILE_BYTES or member.file_size > budget:
                    plan.refused[shown] = f"too large unpacked ({member.file_size:,} bytes)"
                    continue
                target = plan.folder / Path(*path.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zipped.open(member) as source, target.open("wb") as out:
                    # count what is really unpacked: a member may claim a small size and inflate to more
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > min(MAX_FILE_BYTES, budget):
                            break
                        out.write(chunk)
                if written > min(MAX_FILE_BYTES, budget):
                    target.unlink()
                    plan.refused[shown] = "too large unpacked"
                    continue
                budget -= written
                plan.saved.append(shown)
    except (zipfile.BadZipFile, OSError) as exc:
        plan.refused[label] = f"not a readable zip ({exc})"
    return budget
