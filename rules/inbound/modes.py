"""An account's message mode (消息加解密方式), as set in WeChat's server configuration.

- plaintext (明文模式): callbacks arrive in the clear, signed only over token, timestamp and nonce;
- compatible (兼容模式): WeChat sends each callback encrypted, with the clear text beside it; a
  plaintext callback is still taken, for the days a merchant switches modes;
- safe (安全模式): every callback is encrypted, and its `msg_signature` covers the body; a
  plaintext callback is refused, since its signature would not bind the body to anything.
"""

from __future__ import annotations

from enum import StrEnum


class MessageMode(StrEnum):
    PLAINTEXT = "plaintext"
    COMPATIBLE = "compatible"
    SAFE = "safe"


def default_mode(aes_key: str | None) -> MessageMode:
    """An account with an EncodingAESKey is taken to be in safe mode unless told otherwise."""
    return MessageMode.SAFE if aes_key else MessageMode.PLAINTEXT


def mode_problem(mode: MessageMode, aes_key: str | None) -> str | None:
    """Why this mode cannot be used with this key; None when it can."""
    if mode is not MessageMode.PLAINTEXT and not aes_key:
        return f"{mode.value} mode needs the account's EncodingAESKey"
    return None


def accepts(mode: MessageMode, encrypted: bool) -> bool:
    """Whether a callback sent this way is one WeChat could send an account in this mode."""
    if mode is MessageMode.SAFE:
        return encrypted
    if mode is MessageMode.PLAINTEXT:
        return not encrypted
    return True
