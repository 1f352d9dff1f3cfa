"""Staff of an account: added with a role and a one-time sign-in link, signing in by password (with a
lock after repeated failures) or by WeChat, disabled when they leave."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Account, Staff
from rules.accounts.roles import LOCK_MINUTES, Role, locked_after

INVITE_DAYS = 7
MIN_PASSWORD = 8


class StaffProblem(ValueError):
    """A staff change that does not hold, in words the owner reads."""


@dataclass(frozen=True)
class StaffRef:
    """A signed-in staff member, as requests carry them."""

    id: int
    account_id: int
    name: str
    role: Role


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def add_staff(session: Session, account_id: int, name: str, role: Role, now: datetime) -> tuple[Staff, str]:
    """A new staff member and the code of their one-time sign-in link (only its hash is kept)."""
    name = name.strip()
    if not 1 <= len(name) <= 40:
        raise StaffProblem("姓名需 1-40 个字")
    if session.scalar(select(Staff.id).where(Staff.account_id == account_id, Staff.name == name)):
        raise StaffProblem(f"已有名为「{name}」的员工")
    staff = Staff(account_id=account_id, name=name, role=role, failures=0, created_at=now)
    session.add(staff)
    code = reissue_invite(staff, now)
    session.flush()
    return staff, code


def reissue_invite(staff: Staff, now: datetime) -> str:
    """A fresh one-time sign-in code for `staff` (any earlier link stops working)."""
    code = secrets.token_urlsafe(24)
    staff.invite_hash, staff.invite_expires_at = _digest(code), now + timedelta(days=INVITE_DAYS)
    return code


def invited(session: Session, code: str, now: datetime) -> Staff | None:
    """The staff member a sign-in link names, while it is fresh and unused."""
    staff = session.scalar(select(Staff).where(Staff.invite_hash == _digest(code)))
    if staff is None or staff.disabled_at is not None:
        return None
    if staff.invite_expires_at is None or staff.invite_expires_at < now:
        return None
    return staff


def set_password(staff: Staff, password: str) -> None:
    """Set the password through the sign-in link, which is then used up."""
    if len(password) < MIN_PASSWORD:
        raise StaffProblem(f"密码至少 {MIN_PASSWORD} 位")
    staff.password_hash = generate_password_hash(password, method="scrypt")
    staff.invite_hash = staff.invite_expires_at = None
    staff.failures, staff.locked_until = 0, None


class SignInRefused(Exception):
    """Wrong name or password, or locked: the message says which without telling names apart."""


def sign_in(
    session: Session, account_id: int, name: str, password: str, now: datetime
) -> StaffRef | SignInRefused:
    """The staff member for a right password; a wrong one counts toward the lock (returned, not
    raised, so the count is committed with the refusal)."""
    staff = session.scalar(
        select(Staff).where(Staff.account_id == account_id, Staff.name == name.strip()).with_for_update()
    )
    if staff is None or staff.disabled_at is not None or staff.password_hash is None:
        return SignInRefused("账号或密码不正确")
    if staff.locked_until is not None and staff.locked_until > now:
        return SignInRefused(f"连续输错次数过多,请 {LOCK_MINUTES} 分钟后再试")
    if not check_password_hash(staff.password_hash, password):
        staff.failures += 1
        if locked_after(staff.failures):
            staff.locked_until, staff.failures = now + timedelta(minutes=LOCK_MINUTES), 0
        return SignInRefused("账号或密码不正确")
    staff.failures, staff.locked_until, staff.signed_in_at = 0, None, now
    return ref_of(staff)


def ref_of(staff: Staff) -> StaffRef:
    return StaffRef(staff.id, staff.account_id, staff.name, Role(staff.role))


def active_staff(session: Session, staff_id: int) -> StaffRef | None:
    """A session's staff member while they are still on the staff."""
    staff = session.get(Staff, staff_id)
    return None if staff is None or staff.disabled_at is not None else ref_of(staff)


def appid_of(session: Session, staff: Staff) -> str:
    appid = session.scalar(select(Account.appid).where(Account.id == staff.account_id))
    assert appid is not None
    return appid


def staff_of(session: Session, account_id: int) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.account_id == account_id).order_by(Staff.id)))


def bind_openid(session: Session, staff_id: int, openid: str) -> None:
    """Let the staff member sign in with WeChat on their phone from now on (one staff member of an
    account per WeChat: binding moves it)."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        return
    for other in session.scalars(
        select(Staff).where(
            Staff.account_id == staff.account_id, Staff.openid == openid, Staff.id != staff_id
        )
    ):
        other.openid = None
    staff.openid = openid


def by_openid(session: Session, account_id: int, openid: str) -> StaffRef | None:
    staff = session.scalar(
        select(Staff).where(
            Staff.account_id == account_id, Staff.openid == openid, Staff.disabled_at.is_(None)
        )
    )
    return None if staff is None else ref_of(staff)
