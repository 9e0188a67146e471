"""Text to tokens, tokens to a vocabulary, tokens to integer ids.

* :mod:`~glove_lite.preprocess.tokenizers`: :func:`tokenize` (the book's: NLTK, offline, no download),
  :func:`tokenize_and_filter`, and the fast compiled ``words`` / ``whitespace`` tokenizers for corpora of
  any size (:class:`FastTokenizer`), by name in :data:`TOKENIZERS`;
* :mod:`~glove_lite.preprocess.vocabulary`: :class:`Vocabulary` (min count, max size, order by count then
  alphabet), :func:`build_word_index`, :func:`tokens_to_ids` (unknown words dropped, mapped to ``<unk>``
  or an error with suggestions);
* :mod:`~glove_lite.preprocess.tokens`: :func:`tokenize_documents` (the book's documents as ids, cached
  on disk) and :func:`tokenize_stream` (a streamed corpus of any size into an id file).
"""

from glove_lite.preprocess.tokenizers import (TOKENIZERS, FastTokenizer, Tokenizer, char_classes, tokenize,
                                              tokenize_and_filter, tokenize_text, words_tokenize)
from glove_lite.preprocess.vocabulary import UNK, OovPolicy, Vocabulary, build_word_index, suggest_words, tokens_to_ids
from glove_lite.preprocess.tokens import (DOC_BREAK, TOKENIZER_VERSION, TokenizedCorpus, TokenStore, tokenize_documents,
                                          tokenize_stream, tokens_key)

__all__ = ["TOKENIZERS", "FastTokenizer", "Tokenizer", "char_classes", "tokenize", "tokenize_and_filter", "tokenize_text",
           "words_tokenize", "UNK", "OovPolicy", "Vocabulary", "build_word_index", "suggest_words", "tokens_to_ids",
           "DOC_BREAK", "TOKENIZER_VERSION", "TokenizedCorpus", "TokenStore", "tokenize_documents", "tokenize_stream",
           "tokens_key"]
