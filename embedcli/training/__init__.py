"""Training: the configuration and result types (config), the dispatcher (trainer) and one
backend per family: gensim's Word2Vec/FastText (gensim_backend) and our GloVe (glove_backend,
glove/)."""
