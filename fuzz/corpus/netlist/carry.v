module top(clk, a, y);
  wire _0_;
  wire [3:0] _1_;
  wire [3:0] _2_;
  wire [3:0] _3_;
  wire _4_;
  wire _6_;
  wire _7_;
  input clk;
  wire clk;
  input a;
  wire a;
  output y;
  wire y;
  wire [1:0] \u.q ;
  FDRE #(
    .INIT(1'hx)
  ) _10_ (
    .C(clk),
    .CE(1'h1),
    .D(a),
    .Q(\u.q [0]),
    .R(1'h0)
  );
  LUT2 #(
    .INIT(4'h6)
  ) _11_ (
    .I0(\u.q [0]),
    .I1(a),
    .O(_0_)
  );
  CARRY4 _12_ (
    .CI(1'h0),
    .CO(_1_),
    .CYINIT(1'h0),
    .DI({ 3'h0, _0_ }),
    .O(_2_),
    .S({ 3'h0, _0_ })
  );
  CARRY4 _13_ (
    .CI(_1_[3]),
    .CO(_3_),
    .CYINIT(1'h0),
    .DI(4'h0),
    .O({ _4_, _6_, \u.q [1], _7_ }),
    .S(4'h0)
  );
  FDRE #(
    .INIT(1'hx)
  ) _14_ (
    .C(clk),
    .CE(1'h1),
    .D(\u.q [1]),
    .Q(y),
    .R(1'h0)
  );
endmodule
