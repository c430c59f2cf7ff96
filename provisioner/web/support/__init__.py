"""The support pages: failure tickets and their deadlines, credits due, devices behind on their configuration, the quarantine, the configuration preview."""
