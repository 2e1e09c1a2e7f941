namespace Rampart.TestKit.Fixtures;

/// <summary>Fixtures for the NumPy analyzer's rules (RAMP-NPY-*).</summary>
public sealed class NumpyFixtures : IFixtureSource
{
    /// <summary>A harmless protocol-2 pickle of the list [1, 'x'] (what numpy writes for a small object array).</summary>
    public static readonly byte[] ObjectListPickle = [0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x4b, 0x01, 0x58, 0x01, 0x00, 0x00, 0x00, 0x78, 0x71, 0x01, 0x65, 0x2e];

    public IEnumerable<Fixture> Fixtures =>
    [
        new("npy/float-array", "weights.npy", () => new NpyBuilder().Build()),
        new("npy/object-array", "objects.npy", () => new NpyBuilder().Descr("'|O'").Shape("(2,)").Data(ObjectListPickle).Build()),
        new("npy/trailing-data", "trailing.npy", () => new NpyBuilder().Data([.. new byte[24], .. "EXTRA"u8.ToArray()]).Build()),
    ];
}
