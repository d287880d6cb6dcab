PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written last by a finished install, so a half-built .venv is never taken for a working one.
STAMP := $(VENV)/.installed
# Everything `make demo` writes except the token cache and the latest-model pointer.
DEMO := demo

.PHONY: install test demo lint bench bench-reference clean

# Reinstall now (say, for a new release of a dependency); other targets install only when needed.
install:
	rm -f $(STAMP)
	$(MAKE) $(STAMP)

# Editable, so code and corpora/ are read from the clone; redone when the packaging files change.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# Bytecode, as pip writes it for an installed package (an editable install writes none;
	# with PYTHONDONTWRITEBYTECODE set, every command would compile embedcli's sources again).
	$(BIN)/python -m compileall -q embedcli
	touch $@

# The whole suite, including real Okt JVMs, real gensim training and the wheel in a fresh venv.
test: $(STAMP)
	$(BIN)/python -m pytest

# The README's quick start on the shipped NSMC reviews; --force so that it can be run again.
demo: $(STAMP)
	$(BIN)/embedcli train --output $(DEMO)/nsmc-word2vec --force
	$(BIN)/embedcli similar 최민식
	$(BIN)/embedcli analogy 남자 배우 여자
	$(BIN)/embedcli export-tsv --output-dir $(DEMO)/projector --force

# Style and common bugs; the same rules CI would hold us to.
lint: $(STAMP)
	$(BIN)/ruff check embedcli tests benchmarks
	$(BIN)/ruff format --check embedcli tests benchmarks

# Every figure in BENCHMARKS.md (about two hours, much of it the textbook's Okt loop, run five times); writes benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_spine.py --out benchmarks/results
	$(BIN)/python benchmarks/bench_algos.py --out benchmarks/results
	$(BIN)/python benchmarks/bench_tokenizers.py --out benchmarks/results \
		$(if $(REVIEWS_ALL),--reviews-all "$(REVIEWS_ALL)")
	$(BIN)/python benchmarks/bench_tokenizer_rounds.py --out benchmarks/results
	$(BIN)/python benchmarks/bench_documents.py --out benchmarks/results
	@if [ -n "$(PLOT_MODEL)" ]; then \
		$(BIN)/python benchmarks/bench_plot.py --model "$(PLOT_MODEL)" --out benchmarks/results; \
	else echo "Plot benchmark skipped: make bench PLOT_MODEL=path/to/an/nsmc/model"; fi
	@if [ -n "$(REVIEWS_ALL)" ]; then \
		$(BIN)/python benchmarks/bench_glove.py --epochs 15 --corpus "$(REVIEWS_ALL)" --out benchmarks/results; \
	else echo "GloVe reference benchmark skipped: make bench REVIEWS_ALL=path/to/reviews_all.tsv.gz"; fi
	@if [ -n "$(ENGLISH)" ]; then \
		$(BIN)/python benchmarks/bench_english.py --corpus "$(ENGLISH)" --out benchmarks/results; \
	else echo "English evaluation benchmark skipped: make bench ENGLISH=path/to/english.txt.gz"; fi
	@if [ -n "$(NSMC_MODEL)" ]; then \
		$(BIN)/python benchmarks/bench_query.py --nsmc-model "$(NSMC_MODEL)" --out benchmarks/results; \
	else echo "Query benchmark skipped: make bench NSMC_MODEL=path/to/nsmc/model"; fi
	@if [ -n "$(REVIEWS_ALL)" ]; then \
		$(BIN)/python benchmarks/bench_cluster.py --reviews "$(REVIEWS_ALL)" --tokenizer mecab \
			--out benchmarks/results; \
		$(BIN)/python benchmarks/bench_cluster.py --reviews "$(REVIEWS_ALL)" --tokenizer okt \
			--limit 100000 --rounds 2 --skip train,wiki --out benchmarks/results; \
	else echo "Cluster benchmark skipped: make bench REVIEWS_ALL=path/to/reviews_all.tsv.gz"; fi
	$(BIN)/python benchmarks/bench_checkpoint.py --nsmc-tokenizer mecab --rounds 3 --no-quality \
		--out benchmarks/results
	@if [ -n "$(ENGLISH)" ]; then \
		$(BIN)/python benchmarks/bench_checkpoint.py --english "$(ENGLISH)" --no-nsmc --epochs 3 \
			--rounds 1 --no-quality --out benchmarks/results/english; \
		$(BIN)/python benchmarks/bench_checkpoint.py --english "$(ENGLISH)" --no-nsmc --no-cost \
			--out benchmarks/results; \
	else echo "English checkpoint benchmark skipped: make bench ENGLISH=path/to/english.txt.gz"; fi

# The original C/C++ tools against ours (you build them; see BENCHMARKS.md):
# make bench-reference TOKENS=... FASTTEXT=path/to/fasttext GLOVE_DIR=dir/with/glove/tools
bench-reference: $(STAMP)
	@if [ -n "$(FASTTEXT)" ]; then $(BIN)/python benchmarks/bench_reference.py fasttext \
		--tokens "$(TOKENS)" --fasttext-bin "$(FASTTEXT)" --out benchmarks/results; fi
	@if [ -n "$(GLOVE_DIR)" ]; then $(BIN)/python benchmarks/bench_reference.py glove \
		--tokens "$(GLOVE_TOKENS)" --glove-dir "$(GLOVE_DIR)" --eval ko --ko-eval corpora/eval/ko \
		--out benchmarks/results --name reference-glove-nsmc; fi

# Remove the environment and caches this Makefile and the tests create inside the repo.
clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache *.egg-info build dist
