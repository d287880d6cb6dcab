"""embedcli: train and explore word embeddings from the command line, Korean first."""

__version__ = "0.1.0"
