"""The app's shared state, typed: `tiefen()` in a request or CLI command, as flaskr has `get_db()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import AccountDirectory
from bot.programmes import ProgrammeCache
from config import Settings
from models import utcnow
from rules.accounts.member_codes import CodeKey
from tasks.runtime import Runtime

EXTENSION = "tiefen"


@dataclass
class Tiefen:
    """Everything the app's requests share, kept in `app.extensions["tiefen"]`."""

    settings: Settings
    runtime: Runtime
    accounts: AccountDirectory
    programmes: ProgrammeCache

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.runtime.sessions


def tiefen() -> Tiefen:
    """This app's `Tiefen`; needs an app context (a request, a CLI command, `app.app_context()`)."""
    found: Tiefen = current_app.extensions[EXTENSION]
    return found


def member_code_key() -> CodeKey:
    """What reading a member code (会员码) takes here and now: this app's secret and the time."""
    return CodeKey(tiefen().settings.secret_key, utcnow())
