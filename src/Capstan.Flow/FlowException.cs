namespace Capstan.Flow;

/// <summary>An operation was refused or failed; the message is a sentence that says what to do.</summary>
public class FlowException(string message) : Exception(message);
