"""English stays complete: every UI string has a translation, the compiled catalogue matches the .po,
nothing marked for translation is missing from the English file, and a real page renders in English.

Update the catalogue with `make messages`, translate the new entries in
locale/en/LC_MESSAGES/django.po, then `make messages` again to compile.
"""

import gettext as stdlib_gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import translation

from tests.conftest import require

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
FIX = "run `make messages`, translate the new entries in locale/en/LC_MESSAGES/django.po, then `make messages` again"

# What makemessages is told to skip (the Makefile's `messages` target uses the same list).
IGNORED_DIRS = {".venv", "node_modules", "static", "staticfiles", "tests", "locale", "media", ".git"}
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def _unquote(s):
    assert s.startswith('"') and s.endswith('"'), s
    body = s[1:-1]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), body)


def parse_po(path):
    """The entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (list), flags, obsolete."""
    entries = []
    entry, key = None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "obsolete": False}
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#"):
            continue
        entry["obsolete"] = entry["obsolete"] or obsolete
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if m:
            key = m.group(1) if m.group(2) is None else int(m.group(2))
            value = _unquote(m.group(3))
            if key == "msgstr":
                key = 0
            if isinstance(key, int):
                entry["msgstr"][key] = value
            else:
                entry[key] = value
        else:  # continuation of the previous string
            value = _unquote(line)
            if isinstance(key, int):
                entry["msgstr"][key] += value
            else:
                entry[key] += value
    for e in entries:
        e["msgstr"] = [e["msgstr"][i] for i in sorted(e["msgstr"])]
    return entries


def _key(entry):
    return (entry["msgctxt"], entry["msgid"], entry["msgid_plural"])


def _live(entries):
    return [e for e in entries if e["msgid"] != "" and not e["obsolete"]]


def test_every_english_entry_is_translated_and_none_is_fuzzy():
    assert PO.exists(), f"{PO.relative_to(ROOT)} is missing: {FIX}"
    entries = parse_po(PO)
    live = _live(entries)
    assert live, "the English catalogue has no entries"
    untranslated = [e["msgid"] for e in live if not e["msgstr"] or not all(e["msgstr"])]
    assert not untranslated, f"untranslated in {PO.name} ({FIX}): {untranslated}"
    fuzzy = [e["msgid"] or "(header)" for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"entries marked fuzzy in {PO.name} (check the translation, drop the flag): {fuzzy}"
    plurals = [e for e in live if e["msgid_plural"] is not None]
    assert all(len(e["msgstr"]) == 2 for e in plurals), "English plural entries need msgstr[0] and msgstr[1]"
    placeholders = re.compile(r"%\(\w+\)[sd]")
    wrong = [
        e["msgid"]
        for e in live
        for s in e["msgstr"]
        if sorted(placeholders.findall(s)) != sorted(placeholders.findall(e["msgid"]))
    ]
    assert not wrong, f"translations whose %(name)s placeholders differ from the source: {wrong}"


def test_compiled_catalogue_matches_the_po_file():
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing: run `make messages` (compilemessages)"
    with MO.open("rb") as fh:
        catalog = stdlib_gettext.GNUTranslations(fh)._catalog
    stale = []
    for e in _live(parse_po(PO)):
        msgid = e["msgid"] if e["msgctxt"] is None else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"] is None:
            ok = catalog.get(msgid) == e["msgstr"][0]
        else:
            ok = all(catalog.get((msgid, i)) == s for i, s in enumerate(e["msgstr"]))
        if not ok:
            stale.append(e["msgid"])
    assert not stale, f"django.mo is older than django.po for {stale}: run `make messages` to recompile"


def test_english_translations_are_active():
    from branches.models import OrgKind, PostRole

    with translation.override("en"):
        assert translation.gettext("党支部") == "Party Branch"
        assert translation.gettext("三会一课") == "Three Meetings and One Lesson"
        assert str(OrgKind.BRANCH.label) == "Party Branch"
        assert str(OrgKind.COMMITTEE.label) == "Party Committee"
        assert str(PostRole.SECRETARY.label) == "Secretary"
        assert translation.ngettext("%(d)s 天后届满", "%(d)s 天后届满", 1) % {"d": 1} == "Term ends in 1 day"
        assert translation.ngettext("%(d)s 天后届满", "%(d)s 天后届满", 5) % {"d": 5} == "Term ends in 5 days"
    with translation.override("zh-hans"):
        assert str(OrgKind.BRANCH.label) == "党支部"


def _copy_sources(dst):
    """Copy what makemessages reads (Python files and templates) and nothing else."""

    def ignore(directory, names):
        skipped = []
        for name in names:
            path = Path(directory) / name
            if path.is_dir():
                if name in IGNORED_DIRS or name == "__pycache__" or name.endswith(".egg-info"):
                    skipped.append(name)
            elif path.suffix not in SOURCE_SUFFIXES:
                skipped.append(name)
        return skipped

    shutil.copytree(ROOT, dst, ignore=ignore)


def test_no_marked_string_is_missing_from_the_english_catalogue(tmp_path):
    require(shutil.which("xgettext"), "xgettext (GNU gettext) is not installed, cannot extract messages")
    copy = tmp_path / "src"
    _copy_sources(copy)
    # Pin the output into the copy: a project-level string goes to LOCALE_PATHS[0].
    (copy / "i18n_check_settings.py").write_text(
        f"from partyaffairs.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n",
        encoding="utf-8",
    )
    (copy / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "xx", "--no-location", "--no-wrap"]
        + ["--settings=i18n_check_settings"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    assert not (ROOT / "locale" / "xx").exists(), "makemessages wrote into the real locale directory"
    extracted = copy / "locale" / "xx" / "LC_MESSAGES" / "django.po"
    assert extracted.exists(), f"makemessages produced no catalogue:\n{result.stdout}\n{result.stderr}"

    found = {_key(e): e["msgid"] for e in _live(parse_po(extracted))}
    english = {_key(e) for e in _live(parse_po(PO))}
    missing = sorted(msgid for key, msgid in found.items() if key not in english)
    assert not missing, (
        f"{len(missing)} marked string(s) missing from the English catalogue ({FIX}): {missing}"
    )


def test_a_page_in_english_has_no_chinese_ui_labels(cast, client_for):
    from branches.models import Organization
    from members.models import Member

    client = client_for(cast.secretary_a)
    client.cookies["django_language"] = "en"  # what the language menu sets
    response = client.get(f"/orgs/{cast.a.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    for label in ("Party Branch", "Committee", "Secretary", "Member roster", "Basic information"):
        assert label in html, f"English label {label!r} not on the page"
    for label in ("编辑", "委员会", "党员名册", "基本信息", "首页"):
        assert label not in html, f"Chinese UI label {label!r} on the English page"
    # Any Chinese left must be data (names of organisations and members) or a language's own name.
    data = [
        *Organization.objects.values_list("name", flat=True),
        *Member.objects.values_list("name", flat=True),
    ]
    data += [str(name) for _, name in settings.LANGUAGES]
    data_runs = set(CJK.findall("\n".join(data)))
    leftovers = sorted(set(CJK.findall(html)) - data_runs)
    assert not leftovers, f"untranslated Chinese on the English page: {leftovers}"


def test_chinese_is_the_default_whatever_the_browser_asks_for(cast, client_for):
    client = client_for(cast.secretary_a)
    html = client.get(f"/orgs/{cast.a.pk}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "委员会" in html


def test_the_language_menu_switches_to_english_and_back(cast, client_for):
    client = client_for(cast.secretary_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Committee" in client.get(f"/orgs/{cast.a.pk}/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "委员会" in client.get(f"/orgs/{cast.a.pk}/").content.decode()
