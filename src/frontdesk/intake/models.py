"""Every public form's model: turn a submitted form into a clean object, or into errors beside each field.

`validate(Model, raw, **context)` takes the raw fields (strings from a parsed
form body), normalizes every text value (Unicode NFC, stripped, control
characters removed) and validates it with a pydantic model. It returns
`(clean, {})` or `(None, {field: message})`, with messages written for the
person filling in the form, never for a developer.

This module knows nothing of HTTP responses or the database: views call it,
then either re-render the form with the errors and the person's input, or
hand the clean object to `records.submissions.accept`. The models: Request
Info, the job application, feedback votes and article comments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from frontdesk.records.comments import find_urls

# C0/C1 control characters except tab and newline; they have no place in a name or a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_SINGLE_LINE_SPACE = re.compile(r"\s+")

M = TypeVar("M", bound=BaseModel)


def normalize(value: str, *, multiline: bool = False) -> str:
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if not multiline:
        value = _SINGLE_LINE_SPACE.sub(" ", value)
    return value.strip()


def _email(value: str) -> str:
    if not value:
        raise ValueError("Enter your email address.")
    try:
        # Syntax only: no DNS at request time, so a slow resolver can never hold up a form.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Enter an email address like name@example.com.") from None


def _phone(value: str) -> str:
    if value and (not re.fullmatch(r"[0-9+()./\- x]{5,40}", value) or sum(c.isdigit() for c in value) < 5):
        raise ValueError("Enter a phone number using digits, spaces and + ( ) - only.")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(_phone)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Short = Annotated[str, Field(max_length=200)]
Message = Annotated[str, Field(min_length=1, max_length=5000)]
OptionalMessage = Annotated[str, Field(max_length=5000)]

MULTILINE_FIELDS = {"message", "cover_letter", "comment", "links"}

_FRIENDLY = {
    "missing": "This field is required.",
    "string_too_short": "This field is required.",
}


class _Form(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


def _consent(value: str) -> bool:
    if value not in ("yes", "on", "true", "1"):
        raise ValueError("Please tick the box to agree, so that we may store your details and reply.")
    return True


Consent = Annotated[str, AfterValidator(_consent)]


class RequestInfo(_Form):
    name: Name
    email: Email
    phone: Phone = ""
    company: Short = ""
    interest: str
    office: str = ""
    message: Message
    consent: Consent

    @field_validator("interest")
    @classmethod
    def _interest(cls, value: str, info: ValidationInfo) -> str:
        choices = (info.context or {}).get("interests", ())
        if value not in choices:
            raise ValueError("Choose what you would like to hear about.")
        return value

    @field_validator("office")
    @classmethod
    def _office(cls, value: str, info: ValidationInfo) -> str:
        if value and value not in (info.context or {}).get("offices", ()):
            raise ValueError("Choose one of our offices, or leave this empty.")
        return value


def _links(value: object) -> list[str]:
    if isinstance(value, list):
        return value
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError("Keep this to 2,000 characters or fewer.")
    links = [line.strip() for line in value.split("\n") if line.strip()]
    if len(links) > 3:
        raise ValueError("Add at most three links, one per line.")
    for link in links:
        try:
            parts = urlsplit(link)
        except ValueError:  # "https://[oops": not a web address
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500 or " " in link:
            raise ValueError("Enter full web addresses starting with https://, one per line.")
    return links


class Application(_Form):
    name: Name
    email: Email
    phone: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_phone)]
    links: Annotated[list[str], BeforeValidator(_links)] = []
    cover_letter: OptionalMessage = ""
    consent: Consent


class Feedback(_Form):
    page: Annotated[str, Field(min_length=1, max_length=300)]
    helpful: str
    reason: str = ""
    comment: Annotated[str, Field(max_length=2000)] = ""

    @field_validator("page")
    @classmethod
    def _page(cls, value: str, info: ValidationInfo) -> str:
        if value not in (info.context or {}).get("pages", ()):
            raise ValueError("That page does not take feedback.")
        return value

    @field_validator("helpful")
    @classmethod
    def _helpful(cls, value: str) -> str:
        if value not in ("yes", "no"):
            raise ValueError("Choose Yes or No.")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str, info: ValidationInfo) -> str:
        if value and value not in (info.context or {}).get("reasons", ()):
            raise ValueError("Choose one of the reasons, or leave it empty.")
        return value


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    if kind == "string_too_long":
        return f"Keep this to {error['ctx']['max_length']:,} characters or fewer."
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return "Check this field."


def clean_raw(raw: Mapping[str, Any], fields: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Normalize the raw values of the model's fields. A repeated or non-text field is an error, not a guess."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in fields:
        value = raw.get(name, "")
        if isinstance(value, list):
            if len(value) > 1:
                errors[name] = "This field was sent more than once."
                continue
            value = value[0] if value else ""
        if not isinstance(value, str):
            errors[name] = "Check this field."
            continue
        values[name] = normalize(value, multiline=name in MULTILINE_FIELDS)
    return values, errors


def validate(model: type[M], raw: Mapping[str, Any], **context: Any) -> tuple[M | None, dict[str, str], dict[str, str]]:
    """Return (clean object or None, errors by field, normalized values to re-render the form with)."""
    values, errors = clean_raw(raw, set(model.model_fields))
    try:
        clean = model.model_validate(values, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "__all__"
            errors.setdefault(field, _message(err))
        return None, errors, values
    if errors:
        return None, errors, values
    return clean, {}, values


# -- comments on articles ------------------------------------------------------------------------------------

COMMENT_MAX_LINKS = 2
_HOST = re.compile(r"[\w-]+(\.[\w-]+)+(:[0-9]{1,5})?")  # a host name with a dot, any script; optional port


def _website(value: str) -> str:
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value  # people write "example.com"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.netloc) or any(c.isspace() for c in value):
        raise ValueError("Enter a web address like https://example.com, or leave this empty.")
    if len(value) > 500:  # checked again after "https://" was added: the column holds 500
        raise ValueError("Keep this to 500 characters or fewer.")
    return value


def _few_links(value: str) -> str:
    if len(find_urls(value)) > COMMENT_MAX_LINKS:
        raise ValueError(f"Include at most {COMMENT_MAX_LINKS} links.")
    return value


class CommentForm(_Form):
    name: Name
    email: Email
    website: Annotated[str, Field(max_length=500), AfterValidator(_website)] = ""
    comment: Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(_few_links)]
