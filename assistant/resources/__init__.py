"""Files shipped inside the package: the tokenizer, prompt templates and seed articles.

`prompts` and `seeds` are symlinks to the top-level folders of the repository so that
a wheel (which follows the links) carries them and an editable install reads them in place.
"""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
TOKENIZER_PATH = RESOURCES_DIR / "minilm" / "tokenizer.json"
PROMPTS_DIR = RESOURCES_DIR / "prompts"
SEEDS_DIR = RESOURCES_DIR / "seeds"
