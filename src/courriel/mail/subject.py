"""Base subject extraction for IMAP SORT SUBJECT and THREAD (RFC 5256 §2.1).

Owns the exact algorithm of RFC 5256 §2.1 applied to an already decoded subject (step 1's
RFC 2047 decoding is done by ``encoded_words``): strip ``(fwd)`` and blank trailers, strip
``Re:``/``Fw:``/``Fwd:`` leaders with their ``[blob]`` prefixes, strip a leading ``[blob]``
when something remains, unwrap ``[fwd: ...]``, repeat. It also reports whether the subject
marked a reply or forward, which THREAD=REFERENCES uses (RFC 5256 §2.1 and §3).

Must not: fold case (comparisons use i;ascii-casemap at sort time), or raise.
"""

from __future__ import annotations

import re

# Subjects longer than this are cut before extraction: the grammar is linear but a 1 MB
# header of brackets must not cost quadratic regex time.
MAX_SUBJECT_CHARS = 4096

_BLANKS = re.compile(r"[ \t\r\n]+")
# subj-leader = (*subj-blob subj-refwd) / WSP
# subj-refwd  = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
# subj-blob   = "[" *BLOBCHAR "]" *WSP
# A run of leaders is matched at once: a leader is WSP or a subj-refwd, so a run that is
# not all blanks removed at least one Re:/Fw:/Fwd:.
_LEADERS = re.compile(
    r"(?:[ \t]+|(?:\[[^\[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^\[\]]*\][ \t]*)?:)+", re.I
)
_BLOB = re.compile(r"\[[^\[\]]*\][ \t]*")


def base_subject(subject: str) -> tuple[str, bool]:
    """Return ``(base subject, is reply or forward)`` for a decoded subject."""
    # Step 1: blanks and continuations become single spaces.
    text = subject[:MAX_SUBJECT_CHARS]
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = _BLANKS.sub(" ", text)
    if not text or (text[0] not in " \t[rRfF" and text[-1] not in " \t)]"):
        return text, False  # nothing any step could remove
    is_reply = False
    while True:
        # Step 2: remove trailers, repeatedly.
        while text:
            if text[-1] in " \t":
                text = text.rstrip(" \t")
            elif text[-5:].lower() == "(fwd)":
                text = text[:-5]
                is_reply = True
            else:
                break
        # Steps 3 to 5: leaders and blobs until neither matches.
        while text and text[0] in " \t[rRfF":
            leader = _LEADERS.match(text)
            if leader is not None:
                if not leader.group().isspace():
                    is_reply = True
                text = text[leader.end() :]
                continue
            blob = _BLOB.match(text)
            if blob is not None and text[blob.end() :].strip():
                text = text[blob.end() :]
                continue
            break
        # Step 6: "[fwd:" subject "]" is unwrapped and the extraction restarts at step 2.
        if len(text) >= 6 and text[:5].lower() == "[fwd:" and text.endswith("]"):
            text = text[5:-1]
            is_reply = True
            continue
        return text, is_reply
