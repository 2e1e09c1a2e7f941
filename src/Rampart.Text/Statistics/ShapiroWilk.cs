namespace Rampart.Text.Statistics;

/// <summary>
/// The Shapiro-Wilk W statistic with Royston's (1992, 1995) approximation of the coefficients, valid for 3 to 5,000
/// values: the normality test PRADA applies to a client's distances. W is near 1 for normal data and falls as the
/// distribution departs from normality. A small numeric routine of our own: no statistics library is needed for one
/// function, and this one is checked against scipy.stats.shapiro in the tests.
/// </summary>
public static class ShapiroWilk
{
    public static double W(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var n = values.Count;
        if (n is < 3 or > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(values), "Shapiro-Wilk needs between 3 and 5,000 values");
        }

        var x = values.ToArray();
        Array.Sort(x);
        var range = x[^1] - x[0];
        if (range <= 0)
        {
            return 1;
        }

        var a = Coefficients(n);
        var mean = x.Average();
        double numerator = 0, ss = 0;
        for (var i = 0; i < n; i++)
        {
            numerator += a[i] * x[i];
            ss += (x[i] - mean) * (x[i] - mean);
        }

        return Math.Min(1, numerator * numerator / ss);
    }

    private static double[] Coefficients(int n)
    {
        var a = new double[n];
        if (n == 3)
        {
            a[0] = -Math.Sqrt(0.5);
            a[2] = Math.Sqrt(0.5);
            return a;
        }

        var m = new double[n];
        double sumM2 = 0;
        for (var i = 0; i < n; i++)
        {
            m[i] = InverseNormal((i + 1 - 0.375) / (n + 0.25));
            sumM2 += m[i] * m[i];
        }

        var u = 1 / Math.Sqrt(n);
        var an = (m[n - 1] / Math.Sqrt(sumM2)) + Poly(u, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056);
        if (n <= 5)
        {
            var phi = (sumM2 - (2 * m[n - 1] * m[n - 1])) / (1 - (2 * an * an));
            for (var i = 1; i < n - 1; i++)
            {
                a[i] = m[i] / Math.Sqrt(phi);
            }

            a[0] = -an;
            a[n - 1] = an;
            return a;
        }

        var an1 = (m[n - 2] / Math.Sqrt(sumM2)) + Poly(u, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633);
        var phi2 = (sumM2 - (2 * m[n - 1] * m[n - 1]) - (2 * m[n - 2] * m[n - 2])) / (1 - (2 * an * an) - (2 * an1 * an1));
        for (var i = 2; i < n - 2; i++)
        {
            a[i] = m[i] / Math.Sqrt(phi2);
        }

        a[0] = -an;
        a[1] = -an1;
        a[n - 2] = an1;
        a[n - 1] = an;
        return a;
    }

    private static double Poly(double u, double c1, double c2, double c3, double c4, double c5) =>
        u * (c1 + (u * (c2 + (u * (c3 + (u * (c4 + (u * c5))))))));

    /// <summary>The standard normal quantile function (Acklam's rational approximation, relative error below 1.2e-9).</summary>
    public static double InverseNormal(double p)
    {
        if (p is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p));
        }

        const double Low = 0.02425;
        if (p < Low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return Tail(q);
        }

        if (p > 1 - Low)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -Tail(q);
        }

        var r = p - 0.5;
        var s = r * r;
        return (((((((((((-3.969683028665376e+01 * s) + 2.209460984245205e+02) * s) - 2.759285104469687e+02) * s) + 1.383577518672690e+02) * s) - 3.066479806614716e+01) * s) + 2.506628277459239e+00) * r)
            / (((((((((-5.447609879822406e+01 * s) + 1.615858368580409e+02) * s) - 1.556989798598866e+02) * s) + 6.680131188771972e+01) * s) - 1.328068155288572e+01) * s + 1);
    }

    private static double Tail(double q) =>
        ((((((((((-7.784894002430293e-03 * q) - 3.223964580411365e-01) * q) - 2.400758277161838e+00) * q) - 2.549732539343734e+00) * q) + 4.374664141464968e+00) * q) + 2.938163982698783e+00)
        / ((((((((7.784695709041462e-03 * q) + 3.224671290700398e-01) * q) + 2.445134137142996e+00) * q) + 3.754408661907416e+00) * q) + 1);
}
