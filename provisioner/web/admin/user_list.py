"""The staff accounts, listed for admin: one page at a time, read page by page from the database."""

from __future__ import annotations

from inventory.counts import count
from inventory.staff import User
from provisioner.web.navigation import ADMIN_ROLES
from provisioner.web.page_handler import PER_PAGE, PageHandler, page_count


class UserListPage(PageHandler):
    """GET: the staff accounts by user name, ?page= (admin only)."""

    roles = ADMIN_ROLES
    route = "/staff/admin/users"

    def get(self) -> None:
        page = self.page_number()
        query = User.objects.only("username", "display_name", "roles", "language", "active",
                                  "must_change_password", "updated_at")
        total = count(User._get_collection())  # NX-27017 reads every document for a count (docs/storage.rst)
        pages = page_count(total)
        users = list(query.order_by("username").skip((page - 1) * PER_PAGE).limit(PER_PAGE))
        self.render_page("users.html", users=users, page=page, pages=pages, total=total)
