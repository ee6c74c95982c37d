# solc_compile.sh: sourced by tests and benchmarks. solc_bytecode FILE CONTRACT prints the
# creation bytecode (0x...) of CONTRACT in FILE, compiled with bin/solc (solc-js) at test time.
solc_bytecode() {
  local file=$1 name=$2
  jq -n --arg f "$(basename "$file")" --rawfile src "$file" \
    '{language:"Solidity", sources:{($f):{content:$src}},
      settings:{optimizer:{enabled:true, runs:200},
                outputSelection:{"*":{"*":["evm.bytecode.object"]}}}}' |
    "${M2C_ROOT:-.}/bin/solc" --standard-json |
    jq -r --arg f "$(basename "$file")" --arg n "$name" \
      'if (.errors // [] | map(select(.severity=="error")) | length) > 0
       then (.errors | map(.formattedMessage) | join("\n") | halt_error(1))
       else "0x" + .contracts[$f][$n].evm.bytecode.object end'
}
