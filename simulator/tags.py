"""User tags (用户标签): each account's tags and the followers carrying them.

Limits as WeChat documents them: 100 tags an account (45056), names of at most 30 characters (45158;
the documentation says "30个字符以内" for the field and "30个字节" for the error — the simulator counts
characters) that no other tag has (45157), at most 20 tags on a follower (45059), at most 50 openids a
batch call (40032). Ids 0, 1 and 2 are WeChat's own (2 is the star group, 星标组, listed by tags/get):
they cannot be renamed or deleted (45058). A tag with more than 100,000 followers cannot be deleted
(45057). New tags get ids from 100 up, never reused, as WeChat's are.

Which openids may be tagged is the endpoint's business (they must follow the account); this store
checks everything else and changes nothing unless the whole call is valid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import ApiError

TAG_LIMIT = 100  # tags an account may create
NAME_MAX = 30
MEMBER_TAG_LIMIT = 20  # tags on one follower
BATCH_MAX = 50  # openids per batchtagging / batchuntagging call
DELETE_FANS_MAX = 100_000  # a tag with more followers cannot be deleted through the API
PAGE_SIZE = 10_000  # openids per user/tag/get page
FIRST_ID = 100
SYSTEM_TAGS = {0: None, 1: None, 2: "星标组"}  # id -> name tags/get lists (0 and 1 are never listed)
# WeChat's errmsg for the tag errors (the shared table in simulator.errors lacks them)
ERRMSG = {
    40032: "invalid openid list size",
    45056: "too many tags",
    45057: "can't delete the tag that has too many fans",
    45058: "can't modify sys tag",
    45059: "tag size out of limit",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
}


def refuse(errcode: int) -> ApiError:
    """The ApiError for a tag errcode, with WeChat's message."""
    return ApiError(errcode, ERRMSG.get(errcode))


@dataclass
class Tag:
    """One tag of one account, with its followers in the order they were tagged."""

    id: int
    name: str
    members: dict[str, None] = field(default_factory=dict)  # an ordered set of openids

    def to_dict(self) -> dict[str, Any]:
        """Return the tag as tags/get lists it."""
        return {"id": self.id, "name": self.name, "count": len(self.members)}


class TagBook:
    """Hold every account's tags behind one lock; `limit` and `page_size` may be lowered by tests."""

    def __init__(self, limit: int = TAG_LIMIT, page_size: int = PAGE_SIZE) -> None:
        self.limit = limit
        self.page_size = page_size
        self._lock = threading.Lock()
        self._tags: dict[str, dict[int, Tag]] = {}
        self._next_id: dict[str, int] = {}

    def create(self, appid: str, name: Any) -> Tag:
        """Create a tag; 45157 for an empty or taken name, 45158 past 30 characters, 45056 past the cap."""
        with self._lock:
            tags = self._account(appid)
            self._check_name(tags, name)
            if sum(1 for tag_id in tags if tag_id not in SYSTEM_TAGS) >= self.limit:
                raise refuse(45056)
            tag_id = self._next_id.get(appid, FIRST_ID)
            self._next_id[appid] = tag_id + 1
            tags[tag_id] = Tag(tag_id, name)
            return Tag(tag_id, name)

    def listed(self, appid: str) -> list[dict[str, Any]]:
        """Return the tags as tags/get answers them: the star group first, then by id."""
        with self._lock:
            tags = sorted(self._account(appid).items())
            return [tag.to_dict() for tag_id, tag in tags if tag_id not in (0, 1)]

    def rename(self, appid: str, tag_id: Any, name: Any) -> None:
        """Rename a tag: 45058 for WeChat's own, 45159 for an unknown id, then the name's checks."""
        with self._lock:
            tags = self._account(appid)
            tag = self._own(tags, tag_id)
            if name != tag.name:
                self._check_name(tags, name)
                tag.name = name

    def delete(self, appid: str, tag_id: Any) -> None:
        """Delete a tag, untagging its followers: 45058 for WeChat's own, 45057 past 100,000 of them."""
        with self._lock:
            tags = self._account(appid)
            tag = self._own(tags, tag_id)
            if len(tag.members) > DELETE_FANS_MAX:
                raise refuse(45057)
            del tags[tag.id]

    def tag(self, appid: str, tag_id: Any, openids: list[str]) -> None:
        """Put a tag on followers (idempotent); 45059 when one would carry more than 20 tags."""
        with self._lock:
            tags = self._account(appid)
            tag = self._taggable(tags, tag_id)
            new = [o for o in openids if o not in tag.members]
            if any(self._carried(tags, o) >= MEMBER_TAG_LIMIT for o in new):
                raise refuse(45059)
            for openid in openids:
                tag.members[openid] = None

    def untag(self, appid: str, tag_id: Any, openids: Iterable[str]) -> None:
        """Take a tag off followers; taking it off someone without it is no error."""
        with self._lock:
            tag = self._taggable(self._account(appid), tag_id)
            for openid in openids:
                tag.members.pop(openid, None)

    def page(self, appid: str, tag_id: Any, after: str) -> list[str]:
        """Up to `page_size` followers of a tag after the openid `after` (from the first when empty);
        45159 for an unknown tag, 40003 when `after` does not carry it."""
        with self._lock:
            members = list(self._taggable(self._account(appid), tag_id).members)
        start = 0
        if after:
            if after not in members:
                raise ApiError(40003)
            start = members.index(after) + 1
        return members[start : start + self.page_size]

    def ids_of(self, appid: str, openid: str) -> list[int]:
        """The ids of the tags a follower carries, oldest tag first."""
        with self._lock:
            return [t.id for _, t in sorted(self._account(appid).items()) if openid in t.members]

    def dump(self, appid: str | None = None) -> dict[str, dict[str, Any]]:
        """Each account's tags with their followers, and each follower's tag ids (the control API's view)."""
        with self._lock:
            accounts = sorted(self._tags) if appid is None else [appid]
            out: dict[str, dict[str, Any]] = {}
            for account in accounts:
                tags = sorted(self._account(account).items())
                members: dict[str, list[int]] = {}
                for tag_id, tag in tags:
                    for openid in tag.members:
                        members.setdefault(openid, []).append(tag_id)
                listed = [{**t.to_dict(), "openids": list(t.members)} for i, t in tags if i not in (0, 1)]
                out[account] = {"tags": listed, "members": members}
            return out

    def clear(self) -> None:
        """Forget every account's tags."""
        with self._lock:
            self._tags.clear()
            self._next_id.clear()

    def _account(self, appid: str) -> dict[int, Tag]:
        if appid not in self._tags:
            self._tags[appid] = {i: Tag(i, name or "") for i, name in SYSTEM_TAGS.items()}
        return self._tags[appid]

    def _check_name(self, tags: dict[int, Tag], name: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise refuse(45157)
        if len(name) > NAME_MAX:
            raise refuse(45158)
        if any(tag.name == name for tag in tags.values()):
            raise refuse(45157)

    def _own(self, tags: dict[int, Tag], tag_id: Any) -> Tag:
        """An account's own tag (not WeChat's) by id."""
        if tag_id in SYSTEM_TAGS:
            raise refuse(45058)
        return self._taggable(tags, tag_id)

    def _taggable(self, tags: dict[int, Tag], tag_id: Any) -> Tag:
        if isinstance(tag_id, bool) or not isinstance(tag_id, int) or tag_id not in tags or tag_id in (0, 1):
            raise refuse(45159)
        return tags[tag_id]

    def _carried(self, tags: dict[int, Tag], openid: str) -> int:
        return sum(1 for tag in tags.values() if openid in tag.members)
