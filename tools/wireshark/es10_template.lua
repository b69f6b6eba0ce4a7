
-- ES10 (GSMA SGP.22 5.7) inside GSMTAP SIM packets: a post-dissector that reassembles the
-- STORE DATA blocks of each ES10 command (GlobalPlatform 11.11, SGP.22 5.7.2: P1 bit 8 marks
-- the last block, P2 numbers them) and the response with its GET RESPONSE parts ('61xx',
-- ISO/IEC 7816-4 7.6.1), then shows the function's SGP.22 name and its BER-TLV tree with the
-- SGP.22 ASN.1 field names (an IoT eUICC's SGP.32 functions with SGP.32's, see es10.prefs.sgp32).
-- Load it with  tshark -X lua_script:es10.lua  (or put it in
-- Wireshark's plugin folder). Marks the card's fault plan wrote (gsmtap_log) are left alone.
local es10 = Proto("es10", "GSMA SGP.22 ES10")
local f_function = ProtoField.string("es10.function", "Function")
local f_direction = ProtoField.string("es10.direction", "Direction")
local f_field = ProtoField.bytes("es10.field", "Field")
local f_blocks = ProtoField.uint16("es10.blocks", "Reassembled from packets")
es10.fields = {f_function, f_direction, f_field, f_blocks}

-- An IoT eUICC (SGP.32 5.9): "auto" names the tags only SGP.32 has as SGP.32 v1.0 does, and
-- once the card's GetEUICCInfo2 answer gives its iotVersion (SGP32-EUICCInfo2
-- iotSpecificInfo), every tag as that version has it (the SGP.32 forms of BF22, BF2B,
-- BF30, BF34; BF59 / BF5A by version); "SGP.22" never; a version: always that one.
--   tshark -X lua_script:es10.lua -o es10.sgp32:1.2 ...
local SGP32_AUTO, SGP32_OFF = 0, 1
local SGP32_PREF = {[2] = "1.0", [3] = "1.2"}
es10.prefs.sgp32 = Pref.enum("SGP.32 version", SGP32_AUTO, "IoT eUICC (SGP.32) functions",
  {{1, "auto", SGP32_AUTO}, {2, "SGP.22", SGP32_OFF}, {3, "1.0", 2}, {4, "1.2", 3}}, false)
local detected = nil  -- the card's SGP.32 version, from its SGP32-EUICCInfo2

local GSMTAP_PORT = 4729
local GSMTAP_TYPE_SIM = 4

local channels = {}  -- logical channel -> what is being reassembled (first pass)
local results = {}   -- frame number -> {fn=, direction=, data=ByteArray, node=, count=}

local function hex(bytes) return bytes:tohex():upper() end

local function read_tlv(b, offset)
  -- BER tag (1 to 3 octets) and definite length (X.690 8.1.2, 8.1.3)
  local start = offset
  if offset >= b:len() then return nil end
  local first = b:get_index(offset)
  offset = offset + 1
  if bit32.band(first, 0x1F) == 0x1F then
    repeat
      if offset >= b:len() then return nil end
      local more = bit32.band(b:get_index(offset), 0x80) ~= 0
      offset = offset + 1
    until not more
  end
  local tag = hex(b:subset(start, offset - start))
  if offset >= b:len() then return nil end
  local length = b:get_index(offset)
  offset = offset + 1
  if length > 0x80 then
    local n = length - 0x80
    if n > 3 or offset + n > b:len() then return nil end
    length = 0
    for i = 0, n - 1 do length = length * 256 + b:get_index(offset + i) end
    offset = offset + n
  elseif length == 0x80 then return nil end
  if offset + length > b:len() then return nil end
  return tag, bit32.band(first, 0x20) ~= 0, offset, length, offset + length
end

local function add_tree(tree, tvb, b, offset, stop, node)
  local seen = {}  -- occurrences of each tag at this level (members sharing a tag)
  while offset < stop do
    local tag, constructed, value, length, after = read_tlv(b, offset)
    if tag == nil or after > stop then
      tree:add(f_field, tvb(offset, stop - offset)):set_text("(not BER-TLV) " ..
        hex(b:subset(offset, stop - offset)))
      return
    end
    seen[tag] = (seen[tag] or 0) + 1
    local kids = node and NODES[node] and NODES[node].kids
    local kid = nil
    if kids ~= nil then
      local by_tag, any = kids[tag], kids["*"]
      kid = (by_tag and by_tag[seen[tag]]) or (any and any[1]) or (by_tag and by_tag[#by_tag])
    end
    local name = kid and NODES[kid].name or ("[" .. tag .. "]")
    local item = tree:add(f_field, tvb(offset, after - offset))
    if constructed then
      item:set_text(name .. " (" .. tag .. ", " .. length .. " bytes)")
      add_tree(item, tvb, b, value, after, kid)
    else
      local shown = length > 0 and hex(b:subset(value, math.min(length, 48))) or ""
      if length > 48 then shown = shown .. "..." end
      item:set_text(name .. " (" .. tag .. "): " .. shown)
    end
    offset = after
  end
end

local function add_root(tree, tvb, b, root)
  -- the top-level TLV is the function's own request or response type
  local tag, constructed, value, length, after = read_tlv(b, 0)
  if root == nil or tag == nil or after ~= b:len() then
    return add_tree(tree, tvb, b, 0, b:len(), nil)
  end
  local item = tree:add(f_field, tvb(0, after))
  item:set_text(NODES[root].name .. " (" .. tag .. ", " .. length .. " bytes)")
  add_tree(item, tvb, b, value, after, root)
end

local lbpp = {}  -- logical channel -> a Bound Profile Package is being loaded

local function sgp32_version()
  local pref = es10.prefs.sgp32
  if pref == SGP32_OFF then return nil end
  return SGP32_PREF[pref] or detected
end

local function entry_of(kind, tag)
  -- the function a command (kind "requests") or response ("responses") tag names
  local version = sgp32_version()
  if version ~= nil and SGP32[version][kind][tag] ~= nil then
    return SGP32[version][kind][tag]
  end
  if es10.prefs.sgp32 == SGP32_AUTO and SGP32_ONLY[tag] then
    return SGP32["1.0"][kind][tag]
  end
  return kind == "requests" and REQUESTS[tag] or RESPONSES[tag]
end

local function child(b, offset, stop, wanted)
  -- the value offset and end of the first child TLV tagged wanted
  while offset < stop do
    local tag, _, value, _, after = read_tlv(b, offset)
    if tag == nil or after > stop then return nil end
    if tag == wanted then return value, after end
    offset = after
  end
  return nil
end

local function detect_sgp32(b)
  -- SGP32-EUICCInfo2 ('BF22') iotSpecificInfo ('B4') iotVersion ('A0') VersionType ('04')
  local tag, _, value, _, after = read_tlv(b, 0)
  if tag ~= "BF22" then return end
  local info, info_end = child(b, value, after, "B4")
  if info == nil then return end
  local versions, versions_end = child(b, info, info_end, "A0")
  if versions == nil then return end
  local v = child(b, versions, versions_end, "04")
  if v == nil or v + 1 >= b:len() then return end
  local major, minor = b:get_index(v), b:get_index(v + 1)
  detected = (major > 1 or minor >= 2) and "1.2" or "1.0"
end

local function reply_of(state)
  local tag = hex(state.response:subset(0, math.min(2, state.response:len())))
  if tag == "BF22" then detect_sgp32(state.response) end
  local r = entry_of("responses", tag)
  return tag, {fn = r and r.fn or state.fn, data = state.response, node = r and r.node}
end

local function apdu_of(tvb)
  -- IPv4 / UDP to 4729 / GSMTAP (type SIM, sub-type APDU) / command APDU + response + SW
  if tvb:len() < 28 then return nil end
  local ihl = bit32.band(tvb(0, 1):uint(), 0x0F) * 4
  if tvb(9, 1):uint() ~= 17 or tvb:len() < ihl + 8 + 4 then return nil end
  if tvb(ihl + 2, 2):uint() ~= GSMTAP_PORT then return nil end
  local gsmtap = ihl + 8
  local header = tvb(gsmtap + 1, 1):uint() * 4
  if tvb(gsmtap + 2, 1):uint() ~= GSMTAP_TYPE_SIM or tvb(gsmtap + 12, 1):uint() ~= 0 then
    return nil
  end
  local start = gsmtap + header
  if tvb:len() - start < 6 then return nil end
  return start, tvb:bytes(start, tvb:len() - start)
end

local function response_part(b, from)
  -- what follows a command: [Le] response data, SW1 SW2; the data is taken as a TLV where it
  -- parses as one from the first octet, else after an Le octet
  local tail = b:len() - from - 2
  if tail <= 0 then return from, 0 end
  local _, _, _, _, after = read_tlv(b, from)
  if after == b:len() - 2 then return from, tail end
  return from + 1, tail - 1
end

function es10.dissector(tvb, pinfo, tree)
  local number = pinfo.number
  if not pinfo.visited then
    local start, b = apdu_of(tvb)
    if start == nil then return end
    local cla, ins = b:get_index(0), b:get_index(1)
    local channel = bit32.band(cla, 0x40) ~= 0 and 4 + bit32.band(cla, 0x0F)
                    or bit32.band(cla, 0x03)
    local sw1 = b:get_index(b:len() - 2)
    local state = channels[channel]
    if ins == 0xE2 and b:len() >= 7 then
      local p1, p2, lc = b:get_index(2), b:get_index(3), b:get_index(4)
      if p2 == 0 or state == nil or state.response ~= nil then
        state = {command = ByteArray.new(), count = 0}
        channels[channel] = state
      end
      state.command:append(b:subset(5, math.min(lc, b:len() - 7)))
      state.count = state.count + 1
      if bit32.band(p1, 0x80) ~= 0 then
        local head = hex(state.command:subset(0, math.min(2, state.command:len())))
        local entry = entry_of("requests", head)
        if head == "BF36" then
          lbpp[channel] = true
        elseif entry ~= nil then
          lbpp[channel] = nil
        elseif lbpp[channel] then  -- a later piece of the package, cut anywhere (5.7.6)
          entry = {fn = REQUESTS["BF36"].fn, node = nil}
        end
        results[number] = {fn = entry and entry.fn or "ES10 (unknown function)",
                           direction = "command", data = state.command,
                           node = entry and entry.node, count = state.count}
        state.response = ByteArray.new()
        state.fn = entry and entry.fn
        local from, length = response_part(b, 5 + lc)
        if length > 0 then state.response:append(b:subset(from, length)) end
        if sw1 ~= 0x61 and state.response:len() > 0 then
          local tag, reply = reply_of(state)
          results[number].reply = reply
          if tag == "BF37" then lbpp[channel] = nil end
          channels[channel] = nil
        end
      end
    elseif ins == 0xC0 and state ~= nil and state.response ~= nil then
      if b:len() > 7 then state.response:append(b:subset(5, b:len() - 7)) end
      if sw1 ~= 0x61 then
        local tag, reply = reply_of(state)
        results[number] = {reply = reply}
        if tag == "BF37" then lbpp[channel] = nil end
        channels[channel] = nil
      end
    end
  end
  local result = results[number]
  if result == nil then return end
  if result.data ~= nil then
    local t = ByteArray.tvb(result.data, "ES10 command")
    local sub = tree:add(es10, t(), "ES10 command: " .. result.fn)
    sub:add(f_function, t(), result.fn)
    sub:add(f_direction, t(), "command")
    sub:add(f_blocks, t(), result.count)
    add_root(sub, t, result.data, result.node)
    pinfo.cols.info:append(" [" .. result.fn .. "]")
  end
  if result.reply ~= nil and result.reply.data:len() > 0 then
    local r = result.reply
    local t = ByteArray.tvb(r.data, "ES10 response")
    local sub = tree:add(es10, t(), "ES10 response: " .. (r.fn or "?"))
    sub:add(f_function, t(), r.fn or "?")
    sub:add(f_direction, t(), "response")
    add_root(sub, t, r.data, r.node)
    pinfo.cols.info:append(" [" .. (r.fn or "?") .. " response]")
  end
end

register_postdissector(es10)
