import Foundation

/// Reads a token from stdin, so it never has to be on the command line (shell history, `ps`): one line from a pipe or
/// file, or typed at a prompt on a terminal with echo off.
enum TokenInput {
    /// The longest line read; tokens are far shorter.
    static let maxBytes = 4096

    static func read() throws(Failure) -> String {
        let line: [UInt8]
        if isatty(STDIN_FILENO) == 1 {
            line = try readWithoutEcho(prompt: "Token: ")
        } else {
            line = readLine(from: STDIN_FILENO)
        }
        let token = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw Failure(.usage, "no token: give it on stdin (tack login --server URL < token.txt) or type it at the prompt")
        }
        return token
    }

    /// Up to a newline or the end of input, at most `maxBytes`.
    private static func readLine(from fd: Int32) -> [UInt8] {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < maxBytes {
            let count = Foundation.read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        return line
    }

    /// Like getpass(3): echo off (discarding anything typed ahead), the prompt on stderr, one line, echo restored,
    /// also when Ctrl-C or a termination signal ends tack at the prompt.
    private static func readWithoutEcho(prompt: String) throws(Failure) -> [UInt8] {
        guard tcgetattr(STDIN_FILENO, savedTerminal) == 0 else {
            throw Failure(.badInput, "cannot read the terminal's settings: \(String(cString: strerror(errno)))")
        }
        var quiet = savedTerminal.pointee
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        for signal in signals {
            Foundation.signal(signal) { received in
                tcsetattr(STDIN_FILENO, TCSANOW, TokenInput.savedTerminal)
                Foundation.signal(received, SIG_DFL)
                raise(received)
            }
        }
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, savedTerminal)
            for signal in signals { Foundation.signal(signal, SIG_DFL) }
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0 else {
            throw Failure(.badInput, "cannot turn off the terminal's echo: \(String(cString: strerror(errno)))")
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        return readLine(from: STDIN_FILENO)
    }

    /// The terminal's settings before the prompt, where a signal handler can reach them (it cannot capture).
    nonisolated(unsafe) static let savedTerminal: UnsafeMutablePointer<termios> = {
        let pointer = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        pointer.initialize(to: termios())
        return pointer
    }()
}
