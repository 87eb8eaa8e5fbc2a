"""Reading a message: its words made comparable (../text.py), what it asks for (intents.py over the cue
words of cues.py), its parts (parts.py) and their amounts, days and times (slots.py), its lists and
quantities (quantities.py, lists.py), the numbers in the store's free text (facts.py), and the pt-BR
vocabulary these read by (vocab.py, over data/reading_ptbr.toml). Answering the parts is
../answering/'s."""
