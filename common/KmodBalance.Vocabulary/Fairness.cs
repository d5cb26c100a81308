namespace KmodBalance.Vocabulary;

public static class Fairness
{
    /// <summary>
    /// Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all values are equal, 1/n when one value has everything.
    /// All-zero input (0/0, undefined) returns 0: no load is not evidence of a fair spread, and NaN stays out of
    /// reports. A caller that means "nothing to share counts as even" (the simulator's empty run) says so itself.
    /// </summary>
    /// <exception cref="ArgumentException">Empty input, or a negative or non-finite value.</exception>
    public static double Jain(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double sum = 0, sumOfSquares = 0;
        int n = 0;
        foreach (var x in values)
        {
            if (!double.IsFinite(x) || x < 0)
                throw new ArgumentException($"Jain's index needs finite non-negative values; got {x}.", nameof(values));
            sum += x;
            sumOfSquares += x * x;
            n++;
        }
        if (n == 0)
            throw new ArgumentException("Jain's index of no values is undefined.", nameof(values));
        return sumOfSquares == 0 ? 0 : sum * sum / (n * sumOfSquares);
    }
}
