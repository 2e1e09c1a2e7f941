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

    /// <summary>The joblib array layout could not be followed: RAMP-JOB-001.</summary>
    public const string LayoutRule = "RAMP-JOB-001";

    public static JoblibArrayHook Instance { get; } = new();

    public PValue? AfterBuild(PickleMachine machine, PObject instance, PGlobal type)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(type);
        if (type.FullName != WrapperName)
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

    /// <summary>Item size and whether the dtype holds Python objects, from numpy.dtype(descr, align, copy) + BUILD state.</summary>
    internal static (long ItemSize, bool HasObject) ItemSize(PValue? dtype, long offset)
    {
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

        var stateItems = (obj.State as PSeq)?.Items;
        long? elementSize = stateItems is { Count: > 5 } && stateItems[5] is PInt { Value: > 0 } e ? e.Value : null;
        var hasFields = stateItems is { Count: > 3 } && stateItems[3] is not PAtom;
        switch (code)
        {
            case 'O':
                return (8, true);
            case 'V' when hasFields:
                throw Layout($"structured dtype '{text}' (its fields may hold objects)", offset);
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

    private static PickleFormatException Layout(string message, long offset) =>
        new($"joblib array: {message}; the bytes that follow cannot be skipped safely", offset, atEnd: false, ruleId: LayoutRule);
}
