using Rampart.Data.Reading;

namespace Rampart.Data.Scan;

/// <summary>What `rampart data scan` looks at and how far.</summary>
public sealed record DataScanOptions
{
    /// <summary>The label column; null picks one named label, target, class, y or category (any case), else none.</summary>
    public string? LabelColumn { get; init; }

    /// <summary>Rows held in memory for the row-level signals (near duplicates, label noise, outliers, triggers): the first N.</summary>
    public int AnalysisRows { get; init; } = 100_000;

    /// <summary>Rows whose cells all go through the personal-data and secret detectors; after them every <see cref="DetectorStride"/>-th row does.</summary>
    public int DetectorRows { get; init; } = 50_000;

    /// <summary>After <see cref="DetectorRows"/>, one row in this many is inspected.</summary>
    public int DetectorStride { get; init; } = 100;

    /// <summary>Distinct rows tracked for exact duplicates (a 64-bit hash each); beyond it only copies of tracked rows count.</summary>
    public int DuplicateTrackingRows { get; init; } = 2_000_000;

    /// <summary>Run the cross-validated label-noise model (needs a label column).</summary>
    public bool LabelNoise { get; init; } = true;

    /// <summary>Rows the label-noise model trains on (the first N labelled rows of the analysis window).</summary>
    public int LabelNoiseRows { get; init; } = 20_000;

    public int Folds { get; init; } = 5;

    public int Seed { get; init; } = 1;

    /// <summary>Estimated Jaccard similarity from which two texts are near duplicates.</summary>
    public double NearDuplicateThreshold { get; init; } = 0.8;

    public DataLimits Limits { get; init; } = DataLimits.Default;

    /// <summary>Separator for CSV-like files (null: by extension, else detected).</summary>
    public char? Separator { get; init; }

    public static DataScanOptions Default { get; } = new();
}
