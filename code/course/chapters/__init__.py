"""One module per chapter, named after ``book/<chapter>.md``: the experiments, analyses and
figures of that chapter and of no other. The models, data, training loops and plots that several
chapters use live in the library beside this folder (``course.gpt``, ``course.training``,
``course.plotting``, ...)."""
