"""The subjects of a run and their traits: the manifest ringlab_bench writes into
bench.json's context as `ringlab_subjects` (harness/bench/support/subjects.hpp). Every
choice the report makes about a subject (which targets it is held to, which peer is an
MPMC queue, which variants are twins) comes from these traits, never from its name."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from .errors import InputError

FAMILIES = ("ring", "peer", "limit")
MANIFEST_KEY = "ringlab_subjects"


@dataclass(frozen=True)
class Subject:
    name: str
    family: str        # "ring", "peer" or "limit"
    writers: str = ""  # "single", "multi", or "" (a limit, or not recorded)
    readers: str = ""  # "broadcast", "single", "multi" or ""
    lossless: bool = False  # writers wait for readers rather than overwrite
    role: str = ""     # "targeted", "baseline", "peer", "limit", or "" (not recorded)
    detail: str = ""   # one line: wait strategy, library, what a limit measures
    storage: str = ""  # a ring's slot storage (its model family), where known
    # Rings: lives in POSIX shared memory across processes; recovers from a writer
    # process that died mid-write. None: the manifest predates these traits.
    shareable: bool | None = None
    survives_writer_crash: bool | None = None

    @property
    def targeted(self) -> bool:
        return self.role == "targeted"


@dataclass(frozen=True)
class Selector:
    """Which subjects a rule applies to, by trait; None matches any value."""
    family: str = "ring"
    writers: str | None = None
    role: str | None = None
    lossless: bool | None = None

    def matches(self, s: Subject) -> bool:
        return (s.family == self.family
                and (self.writers is None or s.writers == self.writers)
                and (self.role is None or s.role == self.role)
                and (self.lossless is None or s.lossless == self.lossless))


@dataclass(frozen=True)
class Subjects:
    """The subjects of a run in the binary's order. `recorded` says whether their traits
    came from the manifest; without one, each subject has only its family (the first part
    of its benchmark names) and no trait-based choice can be made."""
    entries: tuple[Subject, ...]
    recorded: bool

    def get(self, name: str) -> Subject | None:
        return next((s for s in self.entries if s.name == name), None)

    def family(self, family: str) -> list[Subject]:
        return [s for s in self.entries if s.family == family]

    def select(self, selector: Selector) -> list[Subject]:
        return [s for s in self.entries if selector.matches(s)]

    def order(self, name: str) -> int:
        return next((i for i, s in enumerate(self.entries) if s.name == name),
                    len(self.entries))

    def only(self, names: set[str]) -> Subjects:
        """The subjects among `names`, in the same order."""
        return Subjects(tuple(s for s in self.entries if s.name in names), self.recorded)

    def with_storage(self, storage: dict[str, str]) -> Subjects:
        """Fills in the storage of rings the manifest leaves without one."""
        return Subjects(tuple(replace(s, storage=s.storage or storage.get(s.name, ""))
                              for s in self.entries), self.recorded)


def _subject(entry: object, where: str) -> Subject:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
            or entry.get("family") not in FAMILIES:
        raise InputError(f"{where}: a subject without a name or with a family other than "
                         f"{', '.join(FAMILIES)}: {json.dumps(entry)[:80]}")
    text = {k: entry.get(k) if isinstance(entry.get(k), str) else ""
            for k in ("writers", "readers", "role", "detail", "storage")}
    flags = {k: entry[k] for k in ("shareable", "survives_writer_crash")
             if isinstance(entry.get(k), bool)}
    return Subject(entry["name"], entry["family"], lossless=entry.get("lossless") is True,
                   **text, **flags)


def parse_manifest(text: str, where: str) -> tuple[Subject, ...]:
    """The subjects of a `ringlab_subjects` value (a JSON array inside a string)."""
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: {MANIFEST_KEY} is not valid JSON: {e}") from None
    if not isinstance(entries, list):
        raise InputError(f"{where}: {MANIFEST_KEY} is not a JSON array")
    return tuple(_subject(e, where) for e in entries)


def from_names(families: list[tuple[str, str]]) -> tuple[Subject, ...]:
    """Subjects known only by name and family, in the order given: (name, family) pairs."""
    seen: dict[str, Subject] = {}
    for name, family in families:
        seen.setdefault(name, Subject(name, family, role=family if family != "ring" else ""))
    return tuple(seen.values())


def subjects_of(gb_context: dict, in_run: list[tuple[str, str]], where: str) -> Subjects:
    """The run's subjects: the manifest where bench.json carries one (with any subject the
    run names but the manifest lacks appended, traitless), else the families of the names."""
    manifest = gb_context.get(MANIFEST_KEY)
    if manifest is None:
        return Subjects(from_names(in_run), recorded=False)
    if not isinstance(manifest, str):
        raise InputError(f"{where}: {MANIFEST_KEY} is not a string holding a JSON array")
    listed = parse_manifest(manifest, where)
    known = {s.name for s in listed}
    extra = from_names([(n, f) for n, f in in_run if n not in known])
    return Subjects(listed + extra, recorded=True)
