namespace Capstan.Runbooks.Config;

/// <summary>A text setting: a template (may use {{ name }} placeholders) or a named secret.</summary>
public sealed record TextValue(string Text, string? Secret = null, int Line = 0, int Column = 0)
{
    public static TextValue Of(string text) => new(text);

    /// <summary>Whether the value is decided only when the runbook runs (it has a placeholder), rather than written in the runbook.</summary>
    public bool DecidedAtRunTime => Secret is null && Text.Contains("{{", StringComparison.Ordinal);
}

/// <summary>The kind of value a runbook parameter takes.</summary>
public enum ParameterType { Text, Int, Bool, Host, Url, Enum }

/// <summary>One typed runbook parameter.</summary>
public sealed record RunbookParameter(string Name, ParameterType Type, bool Required, string? Default, IReadOnlyList<string> Values, string Description);

/// <summary>What an http step expects of the response.</summary>
public sealed record HttpExpectation(int? Status, string? JsonPath, string? JsonEquals, string? Contains);

/// <summary>One check or action: its name, what it does, its timeout, and whether a failure stops the run.</summary>
public abstract record Step(string Name, TimeSpan Timeout, bool ContinueOnError)
{
    public abstract string Kind { get; }
}

/// <summary>Calls an HTTP endpoint and checks the answer.</summary>
public sealed record HttpStep(string Name, TimeSpan Timeout, bool ContinueOnError, string Method, TextValue Url, IReadOnlyDictionary<string, TextValue> Headers, TextValue? Body, HttpExpectation Expect, long MaxBytes)
    : Step(Name, Timeout, ContinueOnError)
{
    public override string Kind => "http";
}

/// <summary>Opens a TCP connection.</summary>
public sealed record TcpStep(string Name, TimeSpan Timeout, bool ContinueOnError, TextValue Host, TextValue Port) : Step(Name, Timeout, ContinueOnError)
{
    public override string Kind => "tcp";
}

/// <summary>Resolves a host name, optionally expecting an address.</summary>
public sealed record DnsStep(string Name, TimeSpan Timeout, bool ContinueOnError, TextValue Host, string? ExpectAddress) : Step(Name, Timeout, ContinueOnError)
{
    public override string Kind => "dns";
}

/// <summary>The SQL databases a sql step can query.</summary>
public enum SqlDriver { Postgres, Sqlite }

/// <summary>Runs a query in a read-only transaction with a row limit and a timeout.</summary>
public sealed record SqlStep(string Name, TimeSpan Timeout, bool ContinueOnError, SqlDriver Driver, TextValue Connection, string Query, IReadOnlyDictionary<string, TextValue> Parameters, int MaxRows)
    : Step(Name, Timeout, ContinueOnError)
{
    public override string Kind => "sql";
}

/// <summary>Runs a script from the config repo with arguments as argv, a clean environment and a working folder of its own.</summary>
public sealed record ScriptStep(string Name, TimeSpan Timeout, bool ContinueOnError, string Path, IReadOnlyList<TextValue> Arguments, IReadOnlyDictionary<string, TextValue> Environment, IReadOnlyList<string> PassEnvironment)
    : Step(Name, Timeout, ContinueOnError)
{
    public override string Kind => "script";
}

/// <summary>A diagnostics runbook from runbooks/NAME.yaml.</summary>
public sealed record Runbook(string Name, string File, string Description, IReadOnlyList<RunbookParameter> Parameters, IReadOnlyList<Step> Steps, TimeSpan Timeout, RunbookReach Reach);

/// <summary>
/// What a runbook declares about where it connects: <c>destinations:</c>, where an address decided at run time (from a
/// parameter or an earlier step) may point without the caller holding <c>reach-any</c>; and <c>secrets:</c>, the only
/// destinations each secret may be sent to. A secret not listed there may go only to an address written in the runbook.
/// </summary>
public sealed record RunbookReach(IReadOnlyList<Destination> Destinations, IReadOnlyDictionary<string, IReadOnlyList<Destination>> Secrets)
{
    public static readonly RunbookReach None = new([], new Dictionary<string, IReadOnlyList<Destination>>());
}

/// <summary>
/// A place a runbook may connect to: an origin (<c>https://api.example.com</c>, <c>http://127.0.0.1:8080</c>) or a host
/// (<c>db.internal</c>, <c>*.example.com</c> for its subdomains, <c>127.0.0.1</c>), any port.
/// </summary>
public sealed record Destination(string Text, string? Scheme, string Host, int? Port)
{
    /// <summary>The destination a text names, or null when it names none.</summary>
    public static Destination? Parse(string text)
    {
        var t = text.Trim();
        if (t.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(t, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.AbsolutePath != "/" || u.Query.Length > 0 || u.UserInfo.Length > 0) return null;
            return new Destination(t.TrimEnd('/'), u.Scheme, u.IdnHost.Trim('[', ']'), u.Port);
        }
        var host = t.StartsWith("*.", StringComparison.Ordinal) ? t[2..] : t;
        return host.Length > 0 && Uri.CheckHostName(host.Trim('[', ']')) != UriHostNameType.Unknown ? new Destination(t, null, t.Trim('[', ']'), null) : null;
    }

    /// <summary>Whether an HTTP address is this destination (same scheme, host and port for an origin; same host for a host).</summary>
    public bool Matches(Uri uri) =>
        (Scheme is null || Scheme == uri.Scheme) && (Port is null || Port == uri.Port) && MatchesHost(uri.IdnHost);

    /// <summary>Whether a host is this destination's host (for tcp, dns and sql steps, which have no scheme).</summary>
    public bool MatchesHost(string host)
    {
        var h = host.Trim('[', ']').TrimEnd('.');
        return Host.StartsWith("*.", StringComparison.Ordinal)
            ? h.EndsWith(Host[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(Host, h, StringComparison.OrdinalIgnoreCase);
    }

    public override string ToString() => Text;
}

/// <summary>A product: the services it depends on, checked together by <c>check PRODUCT</c>.</summary>
public sealed record Product(string Name, string Description, IReadOnlyList<Step> Services, TimeSpan Budget, IReadOnlyList<string> Apps);

/// <summary>How much a custom command changes the world (decides confirmation and auditing).</summary>
public enum CustomEffect { Read, Change, Destructive }

/// <summary>
/// A team's own command from commands/NAME.yaml: typed arguments, help, examples, permission and
/// confirmation, running either a script (<see cref="Script"/>) or a runbook (<see cref="Runbook"/> with <see cref="With"/>).
/// </summary>
public sealed record CustomCommand(
    string Name, string File, string Summary, string Help, IReadOnlyList<RunbookParameter> Arguments, IReadOnlyList<string> Examples,
    string Permission, CustomEffect Effect, bool Confirm, ScriptStep? Script, string? Runbook, IReadOnlyDictionary<string, TextValue> With, TimeSpan Timeout);

/// <summary>Everything this module reads from a config commit.</summary>
public sealed record RunbookBook(IReadOnlyDictionary<string, Runbook> Runbooks, IReadOnlyDictionary<string, Product> Products, IReadOnlyDictionary<string, CustomCommand> Commands)
{
    public static readonly RunbookBook Empty = new(new Dictionary<string, Runbook>(), new Dictionary<string, Product>(), new Dictionary<string, CustomCommand>());
}
