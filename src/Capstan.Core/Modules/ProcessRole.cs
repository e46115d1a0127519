namespace Capstan.Core.Modules;

/// <summary>The kind of process modules add their services to.</summary>
public enum ProcessRole
{
    /// <summary><c>capstan up</c>: starts the background work, supervises the apps and stops them when it stops.</summary>
    Server,

    /// <summary>A CLI verb answering chat in its own process while no server runs: hosted services are not started.</summary>
    CommandLine,
}
