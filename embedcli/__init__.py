"""embedcli: train and explore word embeddings, Korean first, from Python or the command line.

import embedcli
model = embedcli.train("nsmc", algo="word2vec", workers=2)
model.similar("최민식")
"""

__version__ = "0.1.0"

from embedcli.api import (  # noqa: E402
    Model,
    Neighbours,
    PlotResult,
    import_vectors,
    load,
    pretrained,
    tokenize,
    train,
)
from embedcli.errors import EmbedcliError  # noqa: E402

__all__ = [
    "EmbedcliError",
    "Model",
    "Neighbours",
    "PlotResult",
    "__version__",
    "import_vectors",
    "load",
    "pretrained",
    "tokenize",
    "train",
]
