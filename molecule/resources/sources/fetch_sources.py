# -*- coding: utf-8 -*-
# Copyright: (c) 2026, voipguard.pbx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put verified copies of the pinned upstream source tarballs (sources.lock) into a cache directory.

  python3 fetch_sources.py --dest DIR [--from DIR] NAME...      NAME: a file of sources.lock, e.g. freeswitch-1.10.12.tar.gz

With --from (or VOIPGUARD_SOURCES), each tarball is taken from that directory and must have the
sha256 sources.lock pins; when the directory has a SHA256SUMS file, its line for the tarball must
say the same. Without it, the tarball is
downloaded from upstream (GitHub's archive of the pinned commit; VOIPGUARD_SOURCES_MIRROR replaces
https://codeload.github.com) and must have the pinned content: GitHub's archive bytes differ from
the pinned tarball's (compression, top folder), so its files are compared through tree_sha256, a
hash of every file's path, mode and content. It is then repacked under the pinned top folder,
without the files the pinned tarball leaves out (`exclude`). Any mismatch stops with a message naming
the file, and nothing unverified is left in DIR.

  python3 fetch_sources.py tree-hash TARBALL [EXCLUDE...]       print a tarball's tree_sha256 (to pin a new source)
"""

import argparse
import fnmatch
import gzip
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request

LOCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sources.lock")
UPSTREAM = "https://codeload.github.com"
CHUNK = 1 << 20


class SourceError(Exception):
    pass


def read_lock(path=LOCK):
    """{file name: entry} from sources.lock (tab-separated, '#' comments, header line first)."""
    entries = {}
    header = None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = fields
                continue
            entry = dict(zip(header, fields))
            entry["exclude"] = [item for item in entry.get("exclude", "").split(",") if item and item != "-"]
            entries[entry["file"]] = entry
    return entries


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _relative(tarball, name):
    """A member's path below the tarball's top folder ('' for the folder itself); refuses paths that
    could point outside it."""
    if name.startswith("/") or ".." in name.split("/"):
        raise SourceError("%s: member %r points outside the tarball's folder" % (tarball, name))
    parts = name.strip("/").split("/", 1)
    return parts[1] if len(parts) == 2 else ""


def _excluded(path, exclude):
    return any(fnmatch.fnmatch(path, pattern) for pattern in exclude)


def tree_sha256(tarball, exclude=()):
    """Hash of the files in a tarball, independent of compression, timestamps and top folder name."""
    lines = []
    with tarfile.open(tarball, "r:*") as archive:
        for member in archive:
            path = _relative(tarball, member.name)
            if not path or member.isdir() or _excluded(path, exclude):
                continue
            if member.issym():
                lines.append("L %s %s" % (path, member.linkname))
            elif member.isfile():
                digest = hashlib.sha256()
                handle = archive.extractfile(member)
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
                lines.append("F %s %d %s" % (path, 1 if member.mode & 0o111 else 0, digest.hexdigest()))
            else:
                raise SourceError("%s: unexpected member %s (type %r)" % (tarball, member.name, member.type))
    lines.sort()
    return hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8")).hexdigest()


def top_folder(entry):
    return entry["file"][: -len(".tar.gz")]


def repack(downloaded, target, folder, exclude=()):
    """Write the downloaded archive's members under `folder`/ into target (a new .tar.gz), leaving
    out the `exclude` ones (tree_sha256 did not check them)."""
    with tarfile.open(downloaded, "r:*") as source, open(target, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
            with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as out:
                for member in source:
                    if member.type == tarfile.XGLTYPE:
                        continue
                    path = _relative(downloaded, member.name)
                    if path and _excluded(path, exclude):
                        continue
                    member.name = folder + ("/" + path if path else "")
                    out.addfile(member, source.extractfile(member) if member.isfile() else None)


def from_directory(entry, directory, dest):
    name = entry["file"]
    source = os.path.join(directory, name)
    if not os.path.isfile(source):
        raise SourceError("%s is not in %s (VOIPGUARD_SOURCES): the pinned sources are listed in %s" % (name, directory, LOCK))
    listed = _listed_sha256(directory, name)
    if listed is not None and listed != entry["sha256"]:
        raise SourceError("%s/SHA256SUMS gives %s for %s, but %s pins %s" % (directory, listed, name, LOCK, entry["sha256"]))
    actual = file_sha256(source)
    if actual != entry["sha256"]:
        raise SourceError("checksum mismatch for %s in %s: sha256 %s, pinned %s (%s)"
                          % (name, directory, actual, entry["sha256"], LOCK))
    target = os.path.join(dest, name)
    if os.path.isfile(target) and file_sha256(target) == actual:
        return "present"
    _install(dest, name, lambda tmp: shutil.copyfile(source, tmp))
    return "copied from %s" % directory


def _listed_sha256(directory, name):
    """The sha256 the directory's SHA256SUMS gives `name` (None without that file or line)."""
    try:
        with open(os.path.join(directory, "SHA256SUMS"), encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) == 2 and fields[1].lstrip("*") == name:
                    return fields[0].lower()
    except FileNotFoundError:
        pass
    return None


def _verified_download(target, entry):
    """True when a tarball an earlier run downloaded and repacked still has the pinned files."""
    if not os.path.isfile(target):
        return False
    try:
        return tree_sha256(target, entry["exclude"]) == entry["tree_sha256"]
    except (tarfile.TarError, OSError, EOFError, SourceError):
        return False  # unreadable: downloaded again and replaced


def download(entry, dest, mirror):
    name = entry["file"]
    url = "%s/%s/tar.gz/%s" % (mirror.rstrip("/"), entry["upstream"], entry["commit"])
    target = os.path.join(dest, name)
    if _verified_download(target, entry):
        return "present"
    with tempfile.TemporaryDirectory(dir=dest, prefix=".download-") as work:
        fetched = os.path.join(work, "archive.tar.gz")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(fetched, "wb") as handle:
                shutil.copyfileobj(response, handle, CHUNK)
        except OSError as error:
            raise SourceError("cannot download %s from %s: %s (or set VOIPGUARD_SOURCES to a directory holding it)"
                              % (name, url, error))
        try:
            actual = tree_sha256(fetched, entry["exclude"])
        except (tarfile.TarError, OSError, EOFError, SourceError) as error:
            raise SourceError("%s downloaded from %s is not a readable tarball: %s" % (name, url, error))
        if actual != entry["tree_sha256"]:
            raise SourceError("checksum mismatch for %s downloaded from %s: tree sha256 %s, pinned %s (%s)"
                              % (name, url, actual, entry["tree_sha256"], LOCK))
        _install(dest, name, lambda tmp: repack(fetched, tmp, top_folder(entry), entry["exclude"]))
    return "downloaded from %s" % url


def _install(dest, name, write):
    """Write dest/name through a temporary file renamed into place: no half-written tarball is left."""
    handle, tmp = tempfile.mkstemp(dir=dest, prefix=".%s." % name)
    os.close(handle)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(dest, name))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(names, dest, directory=None, mirror=UPSTREAM, lock=None):
    entries = lock if lock is not None else read_lock()
    unknown = [name for name in names if name not in entries]
    if unknown:
        raise SourceError("not pinned in %s: %s" % (LOCK, ", ".join(unknown)))
    os.makedirs(dest, exist_ok=True)
    done = {}
    for name in names:
        if directory:
            done[name] = from_directory(entries[name], directory, dest)
        else:
            done[name] = download(entries[name], dest, mirror)
    return done


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["tree-hash"]:
        if len(argv) < 2:
            sys.stderr.write("usage: python3 fetch_sources.py tree-hash TARBALL [EXCLUDE...]\n")
            return 2
        print(tree_sha256(argv[1], argv[2:]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--dest", required=True, help="cache directory for the verified tarballs")
    parser.add_argument("--from", dest="directory", default=os.environ.get("VOIPGUARD_SOURCES") or None,
                        help="directory holding the pinned tarballs (default: $VOIPGUARD_SOURCES; unset: download)")
    parser.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    mirror = os.environ.get("VOIPGUARD_SOURCES_MIRROR") or UPSTREAM
    try:
        for name, how in fetch(args.names, args.dest, args.directory, mirror).items():
            print("sources: %s %s" % (name, how))
    except SourceError as error:
        sys.stderr.write("ERROR: sources: %s\n" % error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
