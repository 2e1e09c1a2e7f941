using System.Globalization;
using Rampart.Scanning.Analyzers.Pickle;

namespace Rampart.Scanning.Analyzers.Joblib;

/// <summary>
/// Follows joblib's inline arrays. joblib pickles a <c>joblib.numpy_pickle.NumpyArrayWrapper</c> in place of each
/// numpy array; right after the wrapper's BUILD, its unpickler reads the raw array bytes straight from the stream
/// (after an alignment padding block when the wrapper's state has <c>numpy_array_alignment_bytes</c>), or, for
/// arrays of Python objects, a complete nested pickle. This hook skips exactly those bytes, computed from the
/// wrapper's symbolic state (shape, dtype), or emulates the nested pickle, so that parsing resumes at the next
/// opcode, and a payload hidden after an array is still seen.
/// </summary>
internal sealed class JoblibArrayHook : IPickleBuildHook
{
    public const string WrapperName = "joblib.numpy_pickle.NumpyArrayWrapper";

    /// <summary>The same class in the copy of joblib that scikit-learn shipped before 0.23.</summary>
    public const string VendoredWrapperName = "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper";

    /// <summary>The joblib array layout could not be followed: RAMP-JOB-001.</summary>
    public const string LayoutRule = "RAMP-JOB-001";

    private const int MaxDtypeNesting = 16;

    public static JoblibArrayHook Instance { get; } = new();

    /// <summary>
    /// True when the pickle imported one of joblib's array wrappers: the current inline <c>NumpyArrayWrapper</c>, or
    /// the <c>NDArrayWrapper</c>/<c>ZNDArrayWrapper</c> of joblib before 0.10. Such a stream is a joblib file
    /// whatever its name, and only joblib.load reads it as its author meant.
    /// </summary>
    public static bool NamesJoblib(PickleObservations seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        return seen.Globals.Any(g => g.Module is "joblib.numpy_pickle" or "joblib.numpy_pickle_compat" or "sklearn.externals.joblib.numpy_pickle"
            && g.Name is "NumpyArrayWrapper" or "NDArrayWrapper" or "ZNDArrayWrapper");
    }

    public PValue? AfterBuild(PickleMachine machine, PObject instance, PGlobal type)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(type);
        if (type.FullName is not (WrapperName or VendoredWrapperName))
        {
            return null;
        }

        var offset = machine.Input.Position;
        if (instance.State is not PSeq { Kind: SeqKind.Dict } state)
        {
            throw Layout("the NumpyArrayWrapper state is not a dict", offset);
        }

        var (itemSize, hasObject) = ItemSize(state.Lookup("dtype"), offset);
        if (hasObject)
        {
            // joblib pickles object arrays with pickle.dump into the same stream: a complete nested pickle.
            var nested = machine.RunNested();
            if (!nested.Completed)
            {
                throw new PickleFormatException($"the nested pickle of a joblib object array is malformed: {nested.Error?.Message}", nested.Error?.Offset ?? offset, nested.Error?.AtEnd ?? false);
            }
        }
        else
        {
            var count = ElementCount(state.Lookup("shape"), offset);
            long size;
            try
            {
                size = checked(count * itemSize);
            }
            catch (OverflowException)
            {
                throw Layout("the array size overflows", offset);
            }

            if (state.Lookup("numpy_array_alignment_bytes") is PInt)
            {
                var padding = machine.Input.Read(1, "joblib alignment padding length")[0];
                machine.Input.Skip(padding, "joblib alignment padding");
            }

            machine.Input.Skip(size, "joblib array data");
        }

        machine.Seen.JoblibArrays++;
        return new PObject(new PGlobal("numpy", "ndarray", resolved: true), null, "joblib array");
    }

    private static long ElementCount(PValue? shape, long offset)
    {
        if (shape is not PSeq { Kind: SeqKind.Tuple or SeqKind.List } dims || dims.Count != dims.Items.Count)
        {
            throw Layout("the array shape is not a tuple of integers", offset);
        }

        long count = 1;
        foreach (var dim in dims.Items)
        {
            if (dim is not PInt { Value: >= 0 and var value })
            {
                throw Layout("the array shape holds something other than a non-negative integer", offset);
            }

            try
            {
                count = checked(count * value);
            }
            catch (OverflowException)
            {
                throw Layout("the array element count overflows", offset);
            }
        }

        return count;
    }

    /// <summary>
    /// Item size and whether the dtype holds Python objects, from <c>numpy.dtype(descr, align, copy)</c> and the
    /// state its BUILD applies: <c>(version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])</c>.
    /// Structured dtypes (scikit-learn's tree nodes) take their item size from the state, as numpy does, after
    /// checking that every field fits in it; a field that holds objects anywhere inside (nested records and
    /// sub-arrays included) makes the whole array an object array, which joblib writes as a nested pickle.
    /// </summary>
    internal static (long ItemSize, bool HasObject) ItemSize(PValue? dtype, long offset) => Measure(dtype, offset, 0);

    private static (long ItemSize, bool HasObject) Measure(PValue? dtype, long offset, int depth)
    {
        if (depth > MaxDtypeNesting)
        {
            throw Layout($"the dtype nests more than {MaxDtypeNesting} levels of fields or sub-arrays", offset);
        }

        if (dtype is not PObject { Args: PSeq { Items.Count: > 0 } args } obj || args.Items[0] is not PStr { Truncated: false } descr || descr.Value.Length == 0)
        {
            throw Layout("the array dtype is not a numpy.dtype(...) call with a type string", offset);
        }

        var text = descr.Value;
        var code = text[0];
        var digits = text.AsSpan(1);
        var bracket = digits.IndexOf('[');
        if (bracket >= 0)
        {
            digits = digits[..bracket];
        }

        long declared = 0;
        if (digits.Length > 0 && !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out declared))
        {
            throw Layout($"unknown dtype string '{text}'", offset);
        }

        var state = (obj.State as PSeq)?.Items;
        long? elementSize = state is { Count: > 5 } && state[5] is PInt { Value: > 0 } e ? e.Value : null;
        if (state is { Count: > 3 } && state[3] is not PAtom)
        {
            return MeasureRecord(text, state, elementSize, offset, depth);
        }

        if (state is { Count: > 2 } && state[2] is not PAtom)
        {
            return MeasureSubarray(text, state[2], elementSize, offset, depth);
        }

        switch (code)
        {
            case 'O':
                return (8, true);
            case 'U':
                return (elementSize ?? (declared * 4), false);
            case 'S' or 'V' or 'a':
                return (elementSize ?? declared, false);
            case 'b' or 'i' or 'u' or 'f' or 'c' or 'M' or 'm' or '?' when declared > 0 && declared <= 64:
                return (declared, false);
            default:
                throw Layout($"unknown dtype string '{text}'", offset);
        }
    }

    /// <summary>A structured dtype: names, a fields dict of name: (dtype, offset[, title]), and elsize.</summary>
    private static (long ItemSize, bool HasObject) MeasureRecord(string text, IReadOnlyList<PValue> state, long? elementSize, long offset, int depth)
    {
        if (state is not [_, _, _, PSeq { Kind: SeqKind.Tuple } names, PSeq { Kind: SeqKind.Dict } fields, ..] || elementSize is not { } size
            || names.Count != names.Items.Count || fields.Count != fields.Items.Count || fields.Count != names.Count * 2)
        {
            throw Layout($"structured dtype '{text}' has no complete names, fields and item size", offset);
        }

        var objects = false;
        for (var i = 1; i < fields.Items.Count; i += 2)
        {
            if (fields.Items[i] is not PSeq { Kind: SeqKind.Tuple, Items: [var fieldType, PInt { Value: >= 0 and var at }, ..] })
            {
                throw Layout($"a field of structured dtype '{text}' is not (dtype, offset)", offset);
            }

            var (fieldSize, fieldObjects) = Measure(fieldType, offset, depth + 1);
            if (at + fieldSize > size)
            {
                throw Layout($"a field of structured dtype '{text}' ends past its item size of {size}", offset);
            }

            objects |= fieldObjects;
        }

        // numpy's own flag: ITEM_HASOBJECT (0x01). A record that claims objects its fields do not hold is not numpy's.
        if (state is [_, _, _, _, _, _, _, PInt { Value: { } flags }, ..] && (flags & 1) != 0 != objects)
        {
            throw Layout($"structured dtype '{text}' has flags {flags} that disagree with its fields", offset);
        }

        return (size, objects);
    }

    /// <summary>A sub-array dtype (a field such as ('c', '&lt;f8', (2,))): (base dtype, shape).</summary>
    private static (long ItemSize, bool HasObject) MeasureSubarray(string text, PValue subarray, long? elementSize, long offset, int depth)
    {
        if (subarray is not PSeq { Kind: SeqKind.Tuple, Items: [var baseType, var shape] })
        {
            throw Layout($"sub-array dtype '{text}' is not (base dtype, shape)", offset);
        }

        var (baseSize, objects) = Measure(baseType, offset, depth + 1);
        long size;
        try
        {
            size = checked(baseSize * ElementCount(shape, offset));
        }
        catch (OverflowException)
        {
            throw Layout($"sub-array dtype '{text}' overflows", offset);
        }

        if (elementSize is { } declared && declared != size)
        {
            throw Layout($"sub-array dtype '{text}' declares {declared} bytes but its base and shape make {size}", offset);
        }

        return (size, objects);
    }

    private static PickleFormatException Layout(string message, long offset) =>
        new($"joblib array: {message}; the bytes that follow cannot be skipped safely", offset, atEnd: false, ruleId: LayoutRule);
}
