"""A new instance of an initializer, for one variable or sublayer."""


def fresh_initializer(initializer):
    """Returns a copy of `initializer` with the same config.

    Stateless initializers give the same values every time they are called
    with the same shape; each variable gets its own copy so that no two
    variables start equal.
    """
    return initializer.__class__.from_config(initializer.get_config())
