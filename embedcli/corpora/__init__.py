"""Corpora: named corpora (registry), files and their encodings (files), document readers
(readers, ted) and downloads (download)."""
