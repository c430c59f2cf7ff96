"""The warehouse's pages: the dashboard, scan to receive, ship, deliver and return, the stock import, the equipment list and item pages, labels."""
