#!/bin/sh
# Prints the home of a JDK 22 or later, for ./mvnw and ./weft.
# Weft compiles with --release 22 (the Foreign Function & Memory API is final there), and
# Maven's own JVM must read such class files (the jar tool writes module descriptors), so
# both Maven and the weft command run on a JDK 22+. Order: $WEFT_JAVA_HOME, $JAVA_HOME, the
# javac on PATH, then the newest JDK under /usr/lib/jvm, /opt/java, /usr/local/lib/jvm, ~/.sdkman
# and macOS's /Library/Java/JavaVirtualMachines.
# Exits 1 with an explanation if there is none.
set -eu
min=22

major_of() { # JDK home -> feature version, or nothing
  if [ -r "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1)
    [ -n "$v" ] && { echo "$v"; return 0; }
  fi
  if [ -x "$1/bin/java" ]; then
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1
  fi
}

usable() { # JDK home -> success if it has java and javac of version >= min
  [ -n "$1" ] && [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  v=$(major_of "$1")
  [ -n "$v" ] && [ "$v" -ge "$min" ]
}

on_path=""
if javac_path=$(command -v javac 2>/dev/null); then
  on_path=$(dirname "$(dirname "$(readlink -f "$javac_path" 2>/dev/null || echo "$javac_path")")")
fi
for candidate in "${WEFT_JAVA_HOME-}" "${JAVA_HOME-}" "$on_path"; do
  if usable "$candidate"; then echo "$candidate"; exit 0; fi
done

best=""; best_v=0
for dir in /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home; do
  [ -d "$dir" ] || continue
  usable "$dir" || continue
  v=$(major_of "$dir")
  if [ "$v" -gt "$best_v" ]; then best="$dir"; best_v="$v"; fi
done
if [ -n "$best" ]; then echo "$best"; exit 0; fi

cat >&2 <<MSG
Weft needs a JDK $min or later (the Foreign Function & Memory API is final in Java 22),
but none was found: JAVA_HOME is "${JAVA_HOME-}", the javac on PATH is "${on_path:-none}", and
/usr/lib/jvm, /opt/java, /usr/local/lib/jvm, ~/.sdkman and /Library/Java hold no JDK $min+.
Fix: install one (for example a Temurin JDK 25 under /usr/lib/jvm, or your distribution's
openjdk-25-jdk package) or point WEFT_JAVA_HOME or JAVA_HOME at it, then run again.
MSG
exit 1
