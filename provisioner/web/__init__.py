"""The staff web pages: server-rendered Jinja2 pages under /staff/, in French or English, by role."""
