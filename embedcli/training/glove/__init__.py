"""Our GloVe, after the Stanford C tools: vocabulary (vocab), co-occurrence counting
(cooccur) and AdaGrad training (adagrad). The design is described in docs/glove.md."""
