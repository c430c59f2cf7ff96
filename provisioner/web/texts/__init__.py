"""The staff pages' texts, one module per area of pages (warehouse, technicians, support, admin), each with a
French and an English dictionary; provisioner/web/messages.py joins them into one catalogue."""
