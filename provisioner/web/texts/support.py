"""The staff pages' texts of the support pages, in French (FR) and English (EN), with the same keys."""

from __future__ import annotations

FR: dict[str, str] = {
}

EN: dict[str, str] = {
}
