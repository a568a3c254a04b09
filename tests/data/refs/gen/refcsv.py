"""CSV output shared by the reference generators of this folder (written for
nnfirm's test data): exact decimals of power-of-two fractions and row
writers. The generators import it from their own folder."""


def decimal(v):
    """Exact decimal text of a Fraction whose denominator is a power of two."""
    n, d = v.numerator, v.denominator
    e = d.bit_length() - 1
    assert d == 1 << e, v
    digits = abs(n) * 5 ** e
    s = str(digits).rjust(e + 1, "0")
    s = (s[:-e] + "." + s[-e:]).rstrip("0").rstrip(".") if e else s
    return ("-" if n < 0 and digits else "") + s


def write_rows(path, rows, fmt):
    """One CSV line per row, each value through fmt."""
    with open(path, "w") as o:
        for r in rows:
            o.write(",".join(fmt(v) for v in r) + "\n")


def write_float(path, rows):
    """Rows of floats, each as the shortest text that reads back exactly."""
    write_rows(path, rows, lambda v: repr(float(v)))


def write_exact(path, rows):
    """Rows of Fractions with power-of-two denominators, exactly."""
    write_rows(path, rows, decimal)
