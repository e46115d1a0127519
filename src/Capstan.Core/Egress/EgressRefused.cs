namespace Capstan.Core.Egress;

/// <summary>Capstan refused to connect: the destination is loopback, link-local or private and capstan.yaml does not allow it.</summary>
public sealed class EgressRefused(string message) : Exception(message);
