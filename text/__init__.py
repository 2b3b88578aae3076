"""Text facts every layer shares: which script a text is written in, and its reply language.

The bottom layer: it imports no sibling, and every package may import it, so that
``knowledge``, ``intents`` and ``assistant`` never disagree on "is this Chinese".
"""
