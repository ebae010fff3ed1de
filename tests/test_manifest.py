"""Repository shape: manifest.json (hassfest), hacs.json (HACS), brand icons and translations."""

from __future__ import annotations

from collections.abc import Iterator
import importlib.metadata
import importlib.util
import json
from pathlib import Path
import re
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from homeassistant import const as ha_const
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from packaging.requirements import InvalidRequirement, Requirement
from PIL import Image, ImageChops
import pytest
import voluptuous as vol

# Import the repository's custom_components first: otherwise the hass fixture mounts the test
# harness's own custom_components package and Home Assistant cannot find coach_dyno.
import custom_components

# Not imported from const.py: these checks must hold even while the package itself does not import.
DOMAIN = "coach_dyno"
ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = ROOT / "custom_components" / DOMAIN
MANIFEST = INTEGRATION_DIR / "manifest.json"
HACS_JSON = ROOT / "hacs.json"
BRAND_DIR = INTEGRATION_DIR / "brand"
STRINGS = INTEGRATION_DIR / "strings.json"
TRANSLATIONS = INTEGRATION_DIR / "translations"
MAKE_ICON = ROOT / "scripts" / "make_icon.py"

# The oldest Home Assistant the project supports is the one the tests run on (2025.4.x).
TESTED_HOME_ASSISTANT = AwesomeVersion("2025.4.0")

# Values hassfest accepts (script/hassfest/manifest.py).
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]
IOT_CLASSES = [
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
]
QUALITY_SCALES = [
    "bronze",
    "silver",
    "gold",
    "platinum",
    "custom",
    "no_score",
    "internal",
    "legacy",
]
CORE_DOCUMENTATION = "https://www.home-assistant.io/integrations"
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]


def custom_documentation_url(value: str) -> str:
    """Accept an https URL that is not the core integrations documentation."""
    if urlparse(value).scheme != "https":
        raise vol.Invalid("documentation must be an https URL")
    if value.startswith(CORE_DOCUMENTATION):
        raise vol.Invalid("a custom integration documents itself, not on home-assistant.io")
    return value


def integration_version(value: str) -> str:
    """Accept a version AwesomeVersion parses with one of hassfest's strategies."""
    try:
        AwesomeVersion(value, ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException as err:
        raise vol.Invalid(f"{value!r} is not a valid version") from err
    return value


def codeowner(value: str) -> str:
    """Accept a GitHub handle or team written with its leading @."""
    if not re.fullmatch(r"@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?", value):
        raise vol.Invalid(f"{value!r} is not a GitHub @handle")
    return value


def range_requirement(value: str) -> str:
    """Accept a PEP 508 requirement with a lower bound and no exact pin."""
    # Home Assistant installs a custom integration's requirements next to core's own (google-genai
    # is shared with core), so an exact pin would fight core's pin on the next release.
    try:
        requirement = Requirement(value)
    except InvalidRequirement as err:
        raise vol.Invalid(f"{value!r} is not a valid requirement") from err
    operators = {spec.operator for spec in requirement.specifier}
    if operators & {"==", "==="}:
        raise vol.Invalid(f"{value!r} pins an exact version; use a range (>=)")
    if ">=" not in operators:
        raise vol.Invalid(f"{value!r} needs a lower bound (>=)")
    return value


MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Required("integration_type"): vol.In(INTEGRATION_TYPES),
        vol.Required("config_flow"): bool,
        vol.Required("documentation"): vol.All(vol.Url(), custom_documentation_url),
        vol.Required("issue_tracker"): vol.Url(),
        vol.Required("version"): vol.All(str, integration_version),
        vol.Required("codeowners"): vol.All([vol.All(str, codeowner)], vol.Length(min=1)),
        vol.Required("requirements"): [vol.All(str, range_requirement)],
        vol.Required("dependencies"): [str],
        vol.Required("iot_class"): vol.In(IOT_CLASSES),
        vol.Optional("after_dependencies"): [str],
        vol.Optional("loggers"): [str],
        vol.Optional("quality_scale"): vol.In(QUALITY_SCALES),
        vol.Optional("single_config_entry"): bool,
        vol.Optional("import_executor"): bool,
        vol.Optional("disabled"): str,
        # Discovery keys hassfest knows; Coach Dyno discovers nothing, so only their shape is checked.
        vol.Optional("bluetooth"): list,
        vol.Optional("dhcp"): list,
        vol.Optional("homekit"): dict,
        vol.Optional("mqtt"): [str],
        vol.Optional("ssdp"): list,
        vol.Optional("usb"): list,
        vol.Optional("zeroconf"): list,
    },
    extra=vol.PREVENT_EXTRA,
)


def country_codes(value: str | list[str]) -> list[str]:
    """Accept one ISO 3166 alpha-2 country code or a list of them, in any case."""
    codes = [value] if isinstance(value, str) else value
    if not isinstance(codes, list) or not all(
        isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code.upper()) for code in codes
    ):
        raise vol.Invalid(f"{value!r} is not a country code or a list of them")
    return [code.upper() for code in codes]


def home_assistant_version(value: str) -> str:
    """Accept a valid Home Assistant version string."""
    if not AwesomeVersion(value).valid:
        raise vol.Invalid(f"{value!r} is not a version")
    return value


# hacs.json as HACS validates it (custom_components/hacs/utils/validate.py): only these keys.
HACS_SCHEMA = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): country_codes,
        vol.Optional("filename"): str,
        vol.Optional("hacs"): vol.All(str, home_assistant_version),
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): vol.All(str, home_assistant_version),
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
    },
    extra=vol.PREVENT_EXTRA,
)


def _json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(name="manifest")
def manifest_fixture() -> dict[str, Any]:
    """Return the integration's manifest.json, in file order."""
    data = _json(MANIFEST)
    assert isinstance(data, dict)
    return data


def test_manifest_schema(manifest: dict[str, Any]) -> None:
    """manifest.json passes hassfest's custom integration rules, with every key we rely on."""
    MANIFEST_SCHEMA(manifest)


def test_manifest_key_order(manifest: dict[str, Any]) -> None:
    """Keys are domain, name, then alphabetical, as hassfest sorts them."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_domain(manifest: dict[str, Any]) -> None:
    """The domain is the folder name, and no core integration uses it."""
    assert manifest["domain"] == INTEGRATION_DIR.name == DOMAIN
    assert importlib.util.find_spec(f"homeassistant.components.{DOMAIN}") is None


def test_manifest_dependencies_exist(manifest: dict[str, Any]) -> None:
    """Every dependency and after-dependency is a Home Assistant integration that exists."""
    for name in [*manifest["dependencies"], *manifest.get("after_dependencies", [])]:
        assert importlib.util.find_spec(f"homeassistant.components.{name}") is not None, name


def test_manifest_requirements_admit_installed_versions(manifest: dict[str, Any]) -> None:
    """The ranges admit the library versions the tests run with."""
    for line in manifest["requirements"]:
        requirement = Requirement(line)
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (line, installed)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("requirements", ["stravalib==2.6"]),
        ("requirements", ["stravalib"]),
        ("version", "not a version!"),
        ("documentation", f"{CORE_DOCUMENTATION}/coach_dyno"),
        ("documentation", "http://example.com/coach_dyno"),
        ("integration_type", "virtual"),
        ("iot_class", "cloud"),
        ("codeowners", ["coach-dyno"]),
        ("codeowners", []),
        ("unknown_key", True),
    ],
)
def test_manifest_schema_rejects(manifest: dict[str, Any], key: str, value: Any) -> None:
    """The schema is strict enough to catch the mistakes hassfest would report."""
    with pytest.raises(vol.Invalid):
        MANIFEST_SCHEMA({**manifest, key: value})


@pytest.mark.parametrize(
    "key",
    [
        "domain",
        "name",
        "version",
        "codeowners",
        "documentation",
        "issue_tracker",
        "requirements",
        "dependencies",
        "config_flow",
        "integration_type",
        "iot_class",
    ],
)
def test_manifest_schema_requires(manifest: dict[str, Any], key: str) -> None:
    """Each key a published custom integration needs is required."""
    with pytest.raises(vol.Invalid):
        MANIFEST_SCHEMA({k: v for k, v in manifest.items() if k != key})


async def test_home_assistant_loads_manifest(hass: HomeAssistant, manifest: dict[str, Any]) -> None:
    """Home Assistant's loader accepts the manifest as a custom integration with its version."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.file_path == Path(custom_components.__path__[0]) / DOMAIN == INTEGRATION_DIR
    assert not integration.is_built_in
    assert integration.name == manifest["name"]
    assert integration.version == AwesomeVersion(manifest["version"])
    assert integration.config_flow is manifest["config_flow"]
    assert integration.integration_type == manifest["integration_type"]
    assert integration.dependencies == manifest["dependencies"]


@pytest.fixture(name="hacs")
def hacs_fixture() -> dict[str, Any]:
    """Return the repository's hacs.json."""
    data = _json(HACS_JSON)
    assert isinstance(data, dict)
    return data


def test_hacs_json_schema(hacs: dict[str, Any]) -> None:
    """hacs.json carries only the keys HACS knows, with their types."""
    HACS_SCHEMA(hacs)
    # HACS downloads a release zip only when it is told its file name.
    if hacs.get("zip_release"):
        assert str(hacs.get("filename", "")).endswith(".zip")


def test_hacs_minimum_home_assistant(hacs: dict[str, Any]) -> None:
    """The minimum Home Assistant is set and is not newer than the one the tests run on."""
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum <= TESTED_HOME_ASSISTANT
    assert minimum <= AwesomeVersion(ha_const.__version__)


@pytest.mark.parametrize(
    "broken",
    [
        {"domains": ["coach_dyno"]},
        {"homeassistant": 2025.4},
        {"render_readme": "yes"},
        {"country": "Vietnam"},
        {"name": None},
    ],
)
def test_hacs_schema_rejects(hacs: dict[str, Any], broken: dict[str, Any]) -> None:
    """Unknown keys and wrong types fail as they would in HACS."""
    with pytest.raises(vol.Invalid):
        HACS_SCHEMA({**hacs, **broken})


def test_hacs_country_codes_are_normalised() -> None:
    """A lower-case code or a list of codes is accepted, as HACS does."""
    assert HACS_SCHEMA({"name": "x", "country": "vn"})["country"] == ["VN"]
    assert HACS_SCHEMA({"name": "x", "country": ["VN", "us"]})["country"] == ["VN", "US"]


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icon(name: str, size: int) -> None:
    """The brand icons are square PNGs of the right size on a transparent background."""
    with Image.open(BRAND_DIR / name) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        corner = image.getpixel((0, 0))
        centre = image.getpixel((size // 2, size // 2))
    assert isinstance(corner, tuple)
    assert isinstance(centre, tuple)
    assert corner[3] == 0
    assert centre[3] == 255


def _load_make_icon() -> ModuleType:
    """Import scripts/make_icon.py, which is not a package module."""
    spec = importlib.util.spec_from_file_location("make_icon", MAKE_ICON)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icon_is_generated(name: str, size: int) -> None:
    """The committed icons are what scripts/make_icon.py draws (small tolerance for Pillow drift)."""
    drawn = _load_make_icon().draw_icon(size)
    with Image.open(BRAND_DIR / name) as committed:
        difference = ImageChops.difference(drawn, committed.convert("RGBA"))
    assert max(difference.tobytes()) <= 8


def test_make_icon_writes_both_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The script writes icon.png and icon@2x.png at their sizes into the brand folder."""
    make_icon = _load_make_icon()
    monkeypatch.setattr(make_icon, "BRAND_DIR", tmp_path / "brand")
    make_icon.main()
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        with Image.open(tmp_path / "brand" / name) as image:
            assert (image.format, image.size) == ("PNG", (size, size))


def _flatten(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (dotted key, leaf value) pairs of a nested translation dict."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{path}.")
        else:
            yield path, value


def _placeholders(text: Any) -> set[str]:
    """Return the {placeholder} names a translated string uses."""
    return set(re.findall(r"\{(\w+)\}", text)) if isinstance(text, str) else set()


@pytest.fixture(name="strings")
def strings_fixture() -> dict[str, Any]:
    """Return strings.json, or skip while it has not been written yet."""
    if not STRINGS.exists():
        pytest.skip("strings.json is not written yet")
    data = _json(STRINGS)
    assert isinstance(data, dict)
    return data


def test_english_translation_is_strings(strings: dict[str, Any]) -> None:
    """translations/en.json is strings.json: custom integrations ship both and they must agree."""
    assert _json(TRANSLATIONS / "en.json") == strings


def test_english_has_no_unresolved_references(strings: dict[str, Any]) -> None:
    """Home Assistant reads a custom integration's en.json as is: [%key:...%] would show raw."""
    unresolved = [key for key, value in _flatten(strings) if "[%key:" in str(value)]
    assert unresolved == []


def test_vietnamese_translation_keys(strings: dict[str, Any]) -> None:
    """translations/vi.json has exactly the keys of strings.json and the same placeholders."""
    assert (TRANSLATIONS / "vi.json").exists(), "translations/vi.json is missing"
    vietnamese = dict(_flatten(_json(TRANSLATIONS / "vi.json")))
    english = dict(_flatten(strings))
    assert sorted(vietnamese) == sorted(english)
    for key, text in english.items():
        assert _placeholders(vietnamese[key]) == _placeholders(text), key
        assert vietnamese[key], key
