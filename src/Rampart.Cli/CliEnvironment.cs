using Rampart.Scanning.Engine;

namespace Rampart.Cli;

/// <summary>
/// Everything the command line touches outside its arguments: the two output streams, whether they are terminals,
/// NO_COLOR, the working folder and the clock. Tests pass their own; the program passes the process's.
/// </summary>
/// <param name="Out">Standard output; reports are written here unless --output is given.</param>
/// <param name="Error">Standard error: usage errors, warnings about the run, progress.</param>
/// <param name="OutIsTerminal">Whether standard output is an interactive terminal (colour is used only then).</param>
/// <param name="ErrorIsTerminal">Whether standard error is an interactive terminal (progress is shown only then).</param>
/// <param name="NoColor">The NO_COLOR convention: set and non-empty disables colour everywhere.</param>
/// <param name="TerminalWidth">Width of the terminal, when standard output is one.</param>
/// <param name="CurrentDirectory">Base for relative paths in SARIF output.</param>
/// <param name="Time">The clock, for the report timestamp and suppression expiry.</param>
/// <param name="ScannerFactory">Builds the scanner; null means the default one with every built-in analyzer (tests substitute).</param>
internal sealed record CliEnvironment(
    Stream Out,
    TextWriter Error,
    bool OutIsTerminal,
    bool ErrorIsTerminal,
    bool NoColor,
    int TerminalWidth,
    string CurrentDirectory,
    TimeProvider Time,
    Func<Scanner>? ScannerFactory = null)
{
    public static CliEnvironment FromProcess()
    {
        var outIsTerminal = !Console.IsOutputRedirected;
        var width = 120;
        if (outIsTerminal)
        {
            try
            {
                var columns = Console.WindowWidth;
                width = columns > 0 ? Math.Max(columns, 40) : width;
            }
            catch (IOException)
            {
            }
        }

        return new CliEnvironment(
            Console.OpenStandardOutput(),
            Console.Error,
            outIsTerminal,
            !Console.IsErrorRedirected,
            !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
            width,
            Environment.CurrentDirectory,
            TimeProvider.System);
    }
}
